import pytest
from tests.browser.conftest import screenshot
from tests.browser.portal_world import build, portal_page  # noqa: F401

pytestmark = pytest.mark.browser

def test_scratch(live_server, portal_page, make, app):
    world = build(make)
    token = make.token(world.trainee)
    tab = portal_page
    tab.add_init_script(f"sessionStorage.setItem('shigang.portal.token', '{token}')")
    tab.goto(f"{live_server}/learn/")
    tab.wait_for_selector("[data-project]")
    screenshot(tab, "scratch-projects")
    tab.goto(f"{live_server}/learn/#/projects/{world.project.id}")
    tab.wait_for_selector("[data-lesson]")
    screenshot(tab, "scratch-lessons")
    tab.goto(f"{live_server}/learn/#/projects/{world.project.id}/quizzes/{world.practice.id}")
    tab.wait_for_selector(".question")
    tab.locator(".question").first.locator("text=安全帽").click()
    tab.wait_for_selector(".feedback")
    screenshot(tab, "scratch-practice")
    tab.goto(f"{live_server}/learn/#/projects/{world.project.id}/lessons/{world.video.id}")
    tab.wait_for_selector("video")
    tab.wait_for_function("document.querySelector('video').readyState >= 1")
    print("duration", tab.evaluate("document.querySelector('video').duration"))
    screenshot(tab, "scratch-player")
