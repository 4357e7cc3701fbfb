"""Running an export: the garbage collector is paused for it and always resumed."""

from __future__ import annotations

import gc
import os

import pytest

from backend.services.exports.run import collector_paused, run_export


def test_the_collector_is_paused_during_an_export_and_resumed_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("export failed")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_export_leaves_the_collector_on(app, make):
    project = make.project()
    make.enrol(make.trainee(project.enterprise), project)
    admin = make.admin()
    export = run_export("hours", "xlsx", admin, project, client_address="192.0.2.10")
    os.unlink(export.path)
    assert export.rows == 1 and gc.isenabled()
