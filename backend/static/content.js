// Lesson upload with a progress bar: straight to the app (filesystem) or to the bucket with a
// presigned form that the server checks afterwards (S3). No inline script: the CSP forbids it.
(function () {
  "use strict";
  var form = document.getElementById("lesson-upload");
  if (!form) {
    return;
  }
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var kind = document.getElementById("lesson-kind");
  var reading = document.getElementById("reading-field");
  var bar = document.getElementById("upload-progress");
  var statusLine = document.getElementById("upload-status");
  var errorLine = document.getElementById("upload-error");
  var button = form.querySelector("button[type=submit]");

  kind.addEventListener("change", function () {
    reading.hidden = kind.value !== "document";
  });

  function fail(message) {
    errorLine.textContent = message;
    statusLine.textContent = "";
    bar.hidden = true;
    button.disabled = false;
  }

  function errorOf(xhr) {
    try {
      return JSON.parse(xhr.responseText).error.message;
    } catch (e) {
      return "上传失败（" + (xhr.status || "网络中断") + "），请重试";
    }
  }

  // One request whose upload progress moves the bar; resolves with the parsed JSON answer.
  function send(method, url, body, json, onDone) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (json) {
      xhr.setRequestHeader("Content-Type", "application/json");
    }
    if (url.charAt(0) === "/") {
      xhr.setRequestHeader("X-CSRFToken", csrf);
    }
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        bar.value = Math.round((event.loaded / event.total) * 100);
        statusLine.textContent = "正在上传 " + bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        onDone(xhr.responseText ? JSON.parse(xhr.responseText) : {});
      } else {
        fail(errorOf(xhr));
      }
    });
    xhr.addEventListener("error", function () {
      fail("网络中断，上传未完成，请重试");
    });
    xhr.send(body);
  }

  function fields() {
    var data = { title: form.title.value.trim(), kind: kind.value };
    if (kind.value === "document") {
      data.duration_s = Math.round(Number(form.reading_minutes.value) * 60);
    }
    return data;
  }

  function finished(lesson) {
    bar.value = 100;
    statusLine.textContent = "上传完成：" + lesson.title + "，时长 " + lesson.duration_s + " 秒";
    window.location.reload();
  }

  function direct(file) {
    var begin = JSON.stringify({ filename: file.name, bytes: file.size });
    send("POST", form.getAttribute("data-begin"), begin, true, function (offer) {
      var body = new FormData();
      Object.keys(offer.fields).forEach(function (name) {
        body.append(name, offer.fields[name]);
      });
      body.append("file", file);
      send("POST", offer.url, body, false, function () {
        statusLine.textContent = "服务器正在检查文件…";
        var confirm = fields();
        confirm.upload_id = offer.upload_id;
        send("POST", form.getAttribute("data-confirm-upload"), JSON.stringify(confirm), true, finished);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorLine.textContent = "";
    var file = form.file.files[0];
    if (!form.title.value.trim()) {
      return fail("请填写课节标题");
    }
    if (!file) {
      return fail("请选择要上传的文件");
    }
    if (file.size > Number(form.getAttribute("data-max-bytes"))) {
      return fail("文件超过大小上限，请压缩后再上传");
    }
    if (kind.value === "document" && !(Number(form.reading_minutes.value) > 0)) {
      return fail("文档课节请填写阅读时长");
    }
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    if (form.getAttribute("data-direct") === "1") {
      return direct(file);
    }
    var body = new FormData();
    var data = fields();
    Object.keys(data).forEach(function (name) {
      body.append(name, data[name]);
    });
    body.append("file", file);
    send("POST", form.getAttribute("data-api"), body, false, finished);
  });
})();
