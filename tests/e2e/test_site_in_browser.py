import pytest

pytestmark = pytest.mark.browser


def test_home_page_switches_language_in_a_real_browser(page, live_server):
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "V卡联盟"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "The V-card alliance"
    page.goto(live_server + "/")  # the choice is remembered
    assert page.locator("h1").inner_text() == "The V-card alliance"
    assert page.console_errors == []


def test_api_docs_render_offline_under_the_strict_csp(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Valliance API" in page.locator(".swagger-ui .info .title").inner_text()
    assert all(url.startswith(live_server) for url in requests), requests
    assert page.console_errors == []


def test_missing_page_shows_the_bilingual_error_page(page, live_server):
    response = page.goto(live_server + "/nowhere")
    assert response.status == 404
    assert page.locator(".error-page").inner_text().count("Not found") == 1
    assert "未找到" in page.locator(".error-page").inner_text()
