"""Request and response validation with pydantic, and the OpenAPI document built from it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, Response, request
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.json_schema import models_json_schema
from werkzeug.routing import IntegerConverter

from backend.kernel.errors import DomainError

MAX_ID = 2**31 - 1


def _whole(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def _whole_numbers_as_ints(value: object) -> object:
    if isinstance(value, float):
        return _whole(value)
    if isinstance(value, dict):
        return {key: _whole_numbers_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_ints(item) for item in value]
    return value


class RequestModel(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped, and JSON
    types are taken as they are (``false`` is no number, ``1`` no boolean), except that a whole
    number written ``1294.0`` is the integer it is (JSON Schema's ``integer`` says so)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: object) -> object:
        if type(data) is JsonObject:  # read by parse_json: whole numbers are ints already
            return data
        return _whole_numbers_as_ints(data)


class ResponseModel(BaseModel):
    """Base for response bodies."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(ResponseModel):
    """One machine-readable error."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(ResponseModel):
    """The error envelope of every API failure."""

    error: ErrorDetail


class IdConverter(IntegerConverter):
    """Database ids in URLs: positive and within a 32-bit integer, else 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


@dataclass
class EndpointSpec:
    """What the OpenAPI document says about one view."""

    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: bool
    tags: tuple[str, ...] = field(default_factory=tuple)
    # A multipart/form-data body: its text fields (a model) and the names of its file fields.
    form: type[BaseModel] | None = None
    files: tuple[str, ...] = ()


AuthHook = Callable[[], None]
_auth_hooks: dict[str, AuthHook] = {}


def set_auth_hook(name: str, hook: AuthHook) -> None:
    """Register the function that authenticates callers of ``auth=True`` endpoints."""
    _auth_hooks[name] = hook


def _validation_error(exc: ValidationError) -> DomainError:
    details = [
        {"field": ".".join(str(p) for p in err["loc"]), "problem": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    fields = "、".join(d["field"] or "(body)" for d in details[:5])
    return DomainError("validation_error", f"请求参数不正确：{fields}", details=details)


UNSUPPORTED_JSON_TYPE = ("unsupported_media_type", "请求内容类型必须是 application/json（UTF-8）")
DUPLICATE_KEYS = ("invalid_json", "请求体的 JSON 对象有重复的字段名")


def json_content_type_ok(header: str) -> bool:
    """Whether a Content-Type header says JSON in UTF-8: exactly ``application/json``, with no
    parameter but an optional ``charset=utf-8`` (the fast heartbeat route asks the same)."""
    mimetype, _, params = header.partition(";")
    if mimetype.strip().lower() != "application/json":
        return False
    for param in filter(None, (p.strip() for p in params.split(";"))):
        key, _, value = param.partition("=")
        if key.strip().lower() != "charset" or value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


class JsonObject(dict):
    """A JSON object as ``parse_json`` read it: no key named twice and every whole number an
    int, so RequestModel's before-validator takes it as it is instead of walking it again."""

    __slots__ = ()


def _json_object(pairs: list[tuple[str, object]]) -> JsonObject:
    found = JsonObject(pairs)
    if len(found) != len(pairs):
        raise ValueError("duplicate key")
    return found


def _not_json(constant: str) -> object:
    raise ValueError(f"{constant} is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_json_object,
    parse_float=lambda text: _whole(float(text)),
    parse_constant=_not_json,
)


def parse_json(data: bytes) -> object:
    """``data`` read in one pass as the JSON routes read it (duplicate keys refused, whole
    numbers as ints), for ``model_validate``; ValueError (or RecursionError) for anything the
    routes might read otherwise. For the heartbeat fast route, which hands every refusal on to
    the Flask route: so it refuses more than that route does, never less. Python's parser
    differs from pydantic's on escaped characters (it takes a lone surrogate ``\\ud800``) and
    on encodings (it guesses UTF-16): a body with an escape or not in UTF-8 is refused."""
    if b"\\u" in data:
        raise ValueError("an escaped character: left to pydantic's parser")
    return _DECODER.decode(data.decode("utf-8"))


def has_duplicate_keys(data: bytes) -> bool:
    """Whether some object in the JSON ``data`` names a key twice (pydantic keeps the last,
    silently); False for data that is not JSON at all, which the model's parse refuses."""
    try:
        json.loads(data, object_pairs_hook=_json_object)
    except ValueError as exc:
        return str(exc) == "duplicate key"
    except RecursionError:
        return False
    return False


def parse_json_body(model: type[BaseModel]) -> BaseModel:
    """Validate the request's JSON body against ``model`` (JSON parsed by pydantic itself,
    whose parser bounds nesting depth: a 1000-deep body is a 400, never a RecursionError)."""
    data = request.get_data(cache=True)
    try:
        if not data:
            return model.model_validate({}, strict=False)
        if not json_content_type_ok(request.headers.get("Content-Type", "")):
            raise DomainError(*UNSUPPORTED_JSON_TYPE)
        if has_duplicate_keys(data):
            raise DomainError(*DUPLICATE_KEYS)
        return model.model_validate_json(data)
    except ValidationError as exc:
        if any(err["type"] in ("json_invalid", "recursion_loop") for err in exc.errors()):
            raise DomainError("invalid_json") from None
        raise _validation_error(exc) from None


def refuse_body() -> None:
    """A route that takes no body refuses one rather than silently drop what was sent (an
    upload route reads its multipart files itself; an empty JSON object is no content)."""
    if request.mimetype.startswith("multipart/"):
        return
    data = request.get_data(cache=True)
    if data and data.strip() not in (b"{}", b""):
        raise DomainError("validation_error", "该接口不接受请求体")


def parse_form(model: type[BaseModel]) -> BaseModel:
    """Validate the text fields of a multipart/form-data body against ``model`` (empty ones
    count as absent)."""
    if not request.mimetype.startswith("multipart/form-data"):
        raise DomainError("unsupported_media_type", "请求内容类型必须是 multipart/form-data")
    raw = {key: value for key, value in request.form.items() if value != ""}
    try:
        return model.model_validate(raw, strict=False)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string against ``model``."""
    try:
        return model.model_validate(request.args.to_dict(), strict=False)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def endpoint(
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    auth: str | None = "trainee",
    tags: tuple[str, ...] = (),
    form: type[BaseModel] | None = None,
    files: tuple[str, ...] = (),
):
    """Parse the body and query, authenticate, and serialize the result through ``response``.

    ``form`` (with ``files``; "name?" for an optional one) documents and validates a multipart
    body; the view reads the files itself and gets the fields as ``form``. With both ``body``
    and ``form`` the request's content type chooses, and the view gets one of the two.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(**kwargs):
            if auth:
                _auth_hooks[auth]()
            multipart = request.mimetype.startswith("multipart/")
            if form is not None and (body is None or multipart):
                kwargs["form"] = parse_form(form)
            elif body is not None:
                kwargs["body"] = parse_json_body(body)
            else:
                refuse_body()
            if query is not None:
                kwargs["query"] = parse_query(query)
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            if response is None:
                return Response(status=status)
            payload = response.model_validate(result)
            # Serialized by pydantic itself: the same JSON as jsonify, at a fraction of the cost.
            return Response(payload.model_dump_json(), status, mimetype="application/json")

        wrapper.endpoint_spec = EndpointSpec(
            summary, body, query, response, status, bool(auth), tuple(tags), form, tuple(files)
        )
        return wrapper

    return decorate


_PATH_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _PATH_PARAM.findall(rule):
        if converter in ("id", "int"):
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        else:
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def build_openapi(
    app: Flask, prefix: str = "/api/v1", title: str = "适岗 Shigang mini-program API"
) -> dict:
    """Generate the OpenAPI 3.1 document from the registered endpoints' pydantic models."""
    views = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec = getattr(app.view_functions.get(rule.endpoint), "endpoint_spec", None)
        if spec is None or not rule.rule.startswith(prefix):
            continue
        views.append((rule, spec))

    models: list = [(ErrorResponse, "serialization")]
    for _, spec in views:
        models += [(m, "validation") for m in (spec.body, spec.query, spec.form) if m]
        if spec.response:
            models.append((spec.response, "serialization"))
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    error_ref = {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}

    paths: dict[str, dict] = {}
    for rule, spec in views:
        path, params = openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "summary": spec.summary,
                "tags": list(spec.tags),
                "parameters": list(params),
                "responses": {"default": {"description": "错误", "content": error_ref}},
            }
            if spec.query:
                op["parameters"] += _query_parameters(spec.query)
            if spec.body:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
                }
            if spec.form:
                form_ref = refs[(spec.form, "validation")]["$ref"].rsplit("/", 1)[-1]
                multipart = _multipart_body(defs["$defs"][form_ref], spec.files)
                if spec.body:
                    op["requestBody"]["content"].update(multipart["content"])
                else:
                    op["requestBody"] = multipart
            ok: dict[str, Any] = {"description": "成功"}
            if spec.response:
                content = {"schema": refs[(spec.response, "serialization")]}
                ok["content"] = {"application/json": content}
            op["responses"][str(spec.status)] = ok
            if spec.auth:
                op["security"] = [{"bearerAuth": []}]
            paths.setdefault(path, {})[method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _form_field(prop: dict) -> dict:
    """A form field's schema without null: a multipart field is text, and leaving it out (or
    empty) is how a form says none."""
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if "anyOf" not in prop or len(options) == len(prop["anyOf"]):
        return prop
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**rest, **options[0]} if len(options) == 1 else {**rest, "anyOf": options}


def _multipart_body(fields: dict, files: tuple[str, ...]) -> dict:
    # One object of the text fields and the files (the fields' model forbids other keys, so an
    # allOf of the two could never be satisfied). A name ending in "?" is an optional file.
    binary = {"type": "string", "format": "binary"}
    names = [name.rstrip("?") for name in files]
    text = {name: _form_field(prop) for name, prop in fields.get("properties", {}).items()}
    schema = {
        **fields,
        "properties": {**text, **dict.fromkeys(names, binary)},
        "required": [*fields.get("required", []), *(n for n in files if not n.endswith("?"))],
    }
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
