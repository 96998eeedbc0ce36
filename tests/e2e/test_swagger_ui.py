"""A tester in a browser: Swagger UI served by the gateway alone, Authorize, then CRUD."""

import json
import shutil

import pytest
import requests
from playwright.sync_api import sync_playwright

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is in requirements-dev.txt"
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The machine's network is closed: Chromium must not try to phone home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def page(gateway):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    gateway["start"]()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        page.errors = []  # what the Content-Security-Policy of /docs blocked
        page.on("console", lambda m: "Security Policy" in m.text and page.errors.append(m.text))
        yield page
        browser.close()


def _try(
    page, operation_id: str, params: dict | None = None, body: dict | None = None
) -> tuple[int, dict]:
    """Open an operation, Try it out, fill it in, Execute; the status and body it shows."""
    block = page.locator(f"#operations-{operation_id}")
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").click()
    for name, value in (params or {}).items():
        block.locator(f'tr[data-param-name="{name}"] input').fill(str(value))
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tr.response td.response-col_status").first
    status.wait_for()
    code = int(status.inner_text().strip())
    text = block.locator(
        ".live-responses-table tr.response .response-col_description pre"
    ).first.inner_text()
    block.locator(".opblock-summary").first.click()  # fold it again
    return code, (json.loads(text) if text.strip().startswith("{") else {})


def test_a_tester_authorizes_and_creates_reads_changes_and_deletes_a_client(page, gateway):
    base, headers = gateway["base"], gateway["headers"]
    token = headers["Authorization"].split()[1]
    page.goto(f"{base}/docs")
    page.locator("button.authorize").first.click()
    page.locator(".modal-ux input[type=text]").fill(token)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()

    status, created = _try(
        page, "clients-post_v1_clients", body={"number": "UI-1", "name": "Via Swagger"}
    )
    assert status == 201 and created["name"] == "Via Swagger"
    status, read = _try(page, "clients-get_v1_clients__client_id_", {"client_id": created["id"]})
    assert status == 200 and read["number"] == "UI-1"
    by_id = {"client_id": created["id"]}
    status, changed = _try(page, "clients-patch_v1_clients__client_id_", by_id, {"city": "Utrecht"})
    assert status == 200 and changed["city"] == "Utrecht"
    status, _ = _try(page, "clients-delete_v1_clients__client_id_", {"client_id": created["id"]})
    assert status == 204

    gone = requests.get(f"{base}/v1/clients/{created['id']}", headers=headers, timeout=5)
    assert gone.status_code == 404
    assert page.requested and all(url.startswith(base) for url in page.requested), page.requested
    # The page runs under the Content-Security-Policy of /docs without tripping it.
    assert not page.errors, page.errors


def test_the_docs_page_may_not_be_framed_by_another_site(page, gateway):
    answer = requests.get(f"{gateway['base']}/docs", timeout=5)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
