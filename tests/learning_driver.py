"""Drives a trainee through lessons over HTTP while the tests move the frozen clock."""

from __future__ import annotations

from backend.clock import clock
from backend.drainer import Drainer
from backend.extensions import db


def drain() -> int:
    """Run the credit drain in-process until the stream is empty; return the seconds written."""
    # As the database looks a moment later in production, when a drainer has caught up. Pending
    # entries are taken over at once: a test's "dead drainer" is dead as soon as it says so.
    drainer = Drainer("test-drainer", claim_idle_ms=0)
    written = 0
    while (result := drainer.drain_once()).entries:
        written += result.seconds
    drainer.seal()  # and seals what is due, as it does every few seconds
    db.session.expire_all()
    return written


class Learner:
    """One trainee on one device: check in, beat, send offline batches, check out."""

    def __init__(self, client, make, trainee, *, device="iPhone 15", device_id=None, skew_ms=-4321):
        self.client = client
        self.make = make
        self.trainee = trainee
        self.headers = make.auth(trainee)
        self.device = device
        self.device_id = device_id  # the mini-program's per-installation id, if it sends one
        # The device's clock runs this far from the server's; offline beats must be mapped.
        self.skew_ms = skew_ms
        self.session_id = None
        self.seq = 0
        self.last = None

    def client_ts(self, offset_s: float = 0) -> int:
        """The device's clock now (plus ``offset_s``), epoch milliseconds."""
        return int((clock.now().timestamp() + offset_s) * 1000) + self.skew_ms

    def reauth(self) -> None:
        """Sign in again (e.g. after Redis lost the tokens)."""
        self.headers = self.make.auth(self.trainee)

    def check_in(self, lesson, expect=201) -> dict:
        """POST /lessons/{id}/sessions."""
        body = {"client_ts": self.client_ts(), "device": self.device}
        if self.device_id is not None:
            body["device_id"] = self.device_id
        response = self.client.post(
            f"/api/v1/lessons/{lesson.id}/sessions", json=body, headers=self.headers
        )
        assert response.status_code == expect, response.get_json()
        body = response.get_json()
        if expect == 201:
            self.session_id = body["session_id"]
            self.seq = 0
        return body

    def beat(self, *, playing=True, position=0, answer=None, seq=None, expect=200) -> dict:
        """One live heartbeat now."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        body = {"seq": seq, "client_ts": self.client_ts(), "position_s": position}
        body["playing"] = playing
        if answer is not None:
            body["challenge_answer"] = {"id": answer[0], "answer": answer[1]}
        response = self.client.post(
            f"/api/v1/sessions/{self.session_id}/heartbeats", json=body, headers=self.headers
        )
        assert response.status_code == expect, response.get_json()
        self.last = response.get_json()
        return self.last

    def play(self, seconds: int, *, every: int = 30, playing=True) -> dict:
        """Beat every ``every`` seconds for ``seconds`` seconds of server time."""
        done = 0
        while done < seconds:
            step = min(every, seconds - done)
            clock.advance(step)
            done += step
            self.beat(playing=playing, position=done)
        return self.last

    def batch(self, offsets_s: list[float], *, playing=True, expect=200) -> dict:
        """Send beats buffered offline at device times now + each offset (seconds)."""
        beats = []
        for offset in offsets_s:
            self.seq += 1
            beats.append(
                {
                    "seq": self.seq,
                    "client_ts": self.client_ts(offset),
                    "position_s": 0,
                    "playing": playing,
                }
            )
        response = self.client.post(
            f"/api/v1/sessions/{self.session_id}/heartbeats",
            json={"beats": beats},
            headers=self.headers,
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def end(self, position=0, expect=200) -> dict:
        """POST /sessions/{id}/end."""
        response = self.client.post(
            f"/api/v1/sessions/{self.session_id}/end",
            json={"position_s": position},
            headers=self.headers,
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def hours(self) -> dict:
        """GET /me/hours once the drain has caught up."""
        drain()
        response = self.client.get("/api/v1/me/hours", headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def lessons(self, project) -> dict:
        """GET /projects/{id}/lessons."""
        response = self.client.get(f"/api/v1/projects/{project.id}/lessons", headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def enrolled(make, *, duration_s=45 * 60, **project_fields):
    """A project with one course and lesson, and a trainee enrolled in it."""
    enterprise = make.enterprise()
    project = make.project(enterprise, **project_fields)
    lesson = make.lesson(make.course(project), duration_s=duration_s)
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    return project, lesson, trainee


# A beat's answer when no face check is open and nothing stopped the time.
QUIET = {"face_check": None, "notice": None}
