"""The chat page in a real headless Chromium (Debian's chromium and chromedriver, driven by Selenium; nothing is
downloaded), against the real server on the embedded base with the shipped adapters and router.

Set LOCO_WRITE_SCREENSHOTS=1 to write the README's screenshots (docs/chat-light.png, docs/chat-dark.png).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx
import pytest

from loco_mlx.inference.voting import MAX_VOTES
from tests.helpers import running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "adapters" / "registry.yaml"
KEY = "page-key-123"
MATH = "Sam has 12 apples and buys 7 more. Then he gives 4 to Ana. How many apples does Sam have now?"
JSON_ASK = "Extract the name and age as JSON: Ana Lima is 31 years old."
CODE_ASK = "Write a Python function add(a, b) that returns the sum of a and b."
WAIT = 120  # seconds: MLX on a 2-core CPU


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    message = "no chromium/chromedriver: scripts/setup.sh installs them (apt-get install chromium chromium-driver)"
    if sys.platform.startswith("linux"):
        pytest.fail(message)  # CI runs these: a missing browser is a setup failure, not a skip
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900",
                 "--disable-gpu", "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.set_script_timeout(WAIT)
    yield chrome
    chrome.quit()


def open_server(default_home, backend: str = "mlx", api_key: str | None = None, registry: Path = REGISTRY):
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.open import EngineSettings, open_engine
    from loco_mlx.serve import ServeSettings, create_app

    record = BaseStore(default_home).get("smollm2-135m-instruct")
    settings = EngineSettings(record, adapter="auto", registered=False, registry_path=registry, backend=backend,
                              warn=lambda _: None)  # fmt: skip
    engine = open_engine(settings)
    serve = ServeSettings(api_key=api_key, max_tokens_limit=48, registry_path=registry)
    return running(create_app(engine, serve))


@pytest.fixture(scope="module")
def page(default_home):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCO_HOME", str(default_home))
        env.setenv("LOCO_REGISTRY", str(REGISTRY))
        with open_server(default_home) as url:
            yield url


# --- helpers ----------------------------------------------------------------------------------------


def load(browser, url: str, fresh: bool = True) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get("about:blank")  # the last test's page stops here: its late console lines are drained, not ours
    browser.get_log("browser")
    browser.get(url + "/")
    if fresh:
        browser.execute_script("localStorage.clear(); sessionStorage.clear();")
        browser.get(url + "/")
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script(
        "return document.querySelectorAll('#model option').length > 0 || !document.getElementById('key-form').hidden"
    ))  # fmt: skip


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def pick(browser, model: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "model")).select_by_value(model)


def set_max_tokens(browser, n: int) -> None:
    field = browser.find_element("id", "max-tokens")
    browser.execute_script("arguments[0].value = arguments[1]", field, str(n))


def send(browser, text: str) -> None:
    box = browser.find_element("id", "prompt")
    box.clear()
    box.send_keys(text)
    browser.find_element("id", "send").click()


def wait_idle(browser) -> None:
    """Until the reply being streamed has ended (the send button is back)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT).until(lambda b: b.find_element("id", "send").is_displayed())


def last_reply(browser):
    return browser.find_elements("css selector", "article.message.assistant")[-1]


def api_route(url: str, prompt: str) -> str:
    """The adapter the server's router picks for `prompt` (one token asked: only the route matters)."""
    body = {"model": "auto", "messages": [{"role": "user", "content": prompt}], "max_tokens": 1, "temperature": 0}
    reply = httpx.post(url + "/v1/chat/completions", json=body, timeout=WAIT).json()
    return reply["loco"]["adapter"] or "base"


# --- tests -------------------------------------------------------------------------------------------


def test_the_page_loads_offline_with_its_policy_and_no_console_errors(browser, page):
    response = httpx.get(page + "/", timeout=10)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "//" not in response.text  # no CDN, no external font: everything is ours
    assert httpx.get(page + "/web/../app.py", timeout=10).status_code == 404
    load(browser, page)
    options = [o.get_attribute("value") for o in browser.find_elements("css selector", "#model option")]
    assert options[:2] == ["auto", "base"] and {"math", "json", "code"} <= set(options)
    json_label = browser.find_element("css selector", "#model option[value=json]").text
    assert "SHIP" in json_label and "vs base" in json_label  # the gate verdict and score
    status = browser.find_element("id", "status").text
    assert "backend mlx" in status and "queue" in status
    assert browser.find_element("id", "votes").get_attribute("max") == str(MAX_VOTES)  # from /health
    assert console_errors(browser) == []


def test_auto_streams_a_reply_whose_badge_names_the_routed_adapter(browser, page):
    from selenium.webdriver.support.ui import WebDriverWait

    routed = api_route(page, MATH)
    assert routed == "math"
    load(browser, page)
    pick(browser, "auto")
    set_max_tokens(browser, 48)
    browser.execute_script("""
        window.contentUpdates = 0;
        new MutationObserver(() => window.contentUpdates++).observe(
            document.getElementById('conversation'), {subtree: true, childList: true, characterData: true});
    """)
    send(browser, MATH)
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements("css selector", "article.assistant .badge"))
    wait_idle(browser)
    reply = last_reply(browser)
    badge = reply.find_element("css selector", ".badge")
    assert badge.get_attribute("data-adapter") == routed and "%" in badge.text  # the router's confidence
    assert browser.execute_script("return window.contentUpdates") > 3  # streamed, not one paint at the end
    badge.click()  # why: keywords and probabilities
    why = reply.find_element("css selector", ".why").text
    assert why.startswith("why: ") and "probability: " in why and "keywords: " in why
    assert "tokens" in reply.find_element("css selector", ".stats").text
    assert "first token" in reply.find_element("css selector", ".stats").text
    assert console_errors(browser) == []


def test_picking_json_answers_with_that_adapter_and_reload_keeps_the_conversation(browser, page):
    load(browser, page)
    pick(browser, "json")
    set_max_tokens(browser, 40)
    send(browser, JSON_ASK)
    wait_idle(browser)
    reply = last_reply(browser)
    assert reply.find_element("css selector", ".badge").get_attribute("data-adapter") == "json"
    assert "{" in reply.find_element("css selector", ".content").text
    before = [m.text for m in browser.find_elements("css selector", "article.message")]

    load(browser, page, fresh=False)  # a reload: the conversation comes back from local storage
    after = [m.text for m in browser.find_elements("css selector", "article.message")]
    assert after == before and len(after) == 2
    assert browser.find_element("id", "model").get_attribute("value") == "json"

    browser.find_element("id", "new-chat").click()
    assert browser.find_elements("css selector", "article.message") == []


def test_the_stop_button_stops_a_stream(browser, page):
    from selenium.webdriver.support.ui import WebDriverWait

    load(browser, page)
    pick(browser, "base")
    set_max_tokens(browser, 48)
    send(browser, "Tell me a long story about a lighthouse keeper and a storm.")
    started = "article.assistant .content p"
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements("css selector", started))
    browser.find_element("id", "stop").click()
    wait_idle(browser)
    stats = last_reply(browser).find_element("css selector", ".stats").text
    assert "stopped" in stats
    tokens = int(stats.split(" tokens")[0])
    assert 0 < tokens < 48
    for _ in range(100):  # the server stops generating at its next token
        if httpx.get(page + "/health", timeout=10).json()["queue"] == 0:
            break
        time.sleep(0.1)
    assert httpx.get(page + "/health", timeout=10).json()["queue"] == 0


def test_markup_in_replies_renders_as_text(browser, page):
    evil = 'Look: <script>window.pwned = 1</script> and <img src=x onerror="window.pwned = 2"> and `<b>x</b>`'
    load(browser, page)
    stored = {"messages": [{"role": "user", "content": evil},
                           {"role": "assistant", "content": evil + "\n\n```html\n<script>alert(1)</script>\n```",
                            "meta": {"model": "base", "adapter": None}}], "system": "", "model": "base"}  # fmt: skip
    browser.execute_script("localStorage.setItem('loco-chat-v1', arguments[0])", json.dumps(stored))
    load(browser, page, fresh=False)
    conversation = browser.find_element("id", "conversation")
    assert conversation.find_elements("css selector", "img, script, b") == []
    assert browser.execute_script("return window.pwned") is None
    text = conversation.text
    assert "<script>window.pwned = 1</script>" in text and '<img src=x onerror="window.pwned = 2">' in text
    assert "<b>x</b>" in conversation.find_element("css selector", ".assistant .content code").text
    pick(browser, "base")
    set_max_tokens(browser, 8)
    send(browser, evil)  # a real round trip with markup in it
    wait_idle(browser)
    assert conversation.find_elements("css selector", "img, script, b") == []
    assert browser.execute_script("return window.pwned") is None
    assert console_errors(browser) == []


def test_with_an_api_key_the_page_asks_for_it_and_says_when_it_is_wrong(browser, default_home):
    from selenium.webdriver.support.ui import WebDriverWait

    with open_server(default_home, api_key=KEY) as url:
        load(browser, url)
        form = browser.find_element("id", "key-form")
        assert form.is_displayed() and "API key" in browser.find_element("id", "key-message").text
        browser.find_element("id", "key").send_keys("not-the-key")
        form.find_element("css selector", "button").click()
        WebDriverWait(browser, 30).until(lambda b: "Wrong API key" in b.find_element("id", "key-message").text)
        assert browser.find_element("id", "key-message").get_attribute("class") == "error"
        browser.find_element("id", "key").send_keys(KEY)
        form.find_element("css selector", "button").click()
        WebDriverWait(browser, 30).until(lambda b: b.find_elements("css selector", "#model option"))
        assert not browser.find_element("id", "key-form").is_displayed()
        assert browser.execute_script("return sessionStorage.getItem('loco-api-key')") == KEY
        assert browser.execute_script("return localStorage.getItem('loco-api-key')") is None  # not kept past the tab


def test_screenshots_of_a_routed_exchange_in_light_and_dark(browser, page, tmp_path):
    load(browser, page)
    pick(browser, "auto")
    set_max_tokens(browser, 40)
    for ask in (MATH, JSON_ASK, CODE_ASK):
        send(browser, ask)
        wait_idle(browser)
    badges = [b.get_attribute("data-adapter") for b in browser.find_elements("css selector", ".badge")]
    assert badges == [api_route(page, ask) for ask in (MATH, JSON_ASK, CODE_ASK)]
    target = ROOT / "docs" if os.environ.get("LOCO_WRITE_SCREENSHOTS") == "1" else tmp_path
    for scheme in ("light", "dark"):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme",
                                                                             "value": scheme}]})  # fmt: skip
        time.sleep(0.3)
        background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(251, 251, 250)" if scheme == "light" else "rgb(23, 23, 26)")
        assert browser.save_screenshot(str(target / f"chat-{scheme}.png"))
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_the_page_works_on_the_llamacpp_backend(browser, default_home):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCO_HOME", str(default_home))
        env.setenv("LOCO_REGISTRY", str(REGISTRY))
        with open_server(default_home, backend="llamacpp") as url:
            load(browser, url)
            assert "backend llamacpp" in browser.find_element("id", "status").text
            pick(browser, "json")
            set_max_tokens(browser, 32)
            send(browser, JSON_ASK)
            wait_idle(browser)
            reply = last_reply(browser)
            assert reply.find_element("css selector", ".badge").get_attribute("data-adapter") == "json"
            assert reply.find_element("css selector", ".content").text.strip()
            assert console_errors(browser) == []


def test_a_tool_adapter_shows_its_program_and_output_in_a_folded_block(browser, default_home, tmp_path):
    """The shipped registry with the program-style math adapter made active (it is registered, not promoted)."""
    import yaml

    data = yaml.safe_load(REGISTRY.read_text())
    for entry in data["adapters"]:
        entry["path"] = str(REGISTRY.parent / entry["path"])
        entry["active"] = entry["active"] or entry["name"] == "math-program"
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump(data))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCO_HOME", str(default_home))
        env.setenv("LOCO_REGISTRY", str(registry))
        with open_server(default_home, registry=registry) as url:
            load(browser, url)
            assert "runs python" in browser.find_element("css selector", "#model option[value=math-program]").text
            pick(browser, "math-program")
            set_max_tokens(browser, 48)
            send(browser, MATH)
            wait_idle(browser)
            reply = last_reply(browser)
            block = reply.find_element("css selector", "details.tool")
            assert block.get_attribute("open") is None  # folded until clicked
            block.find_element("css selector", "summary").click()
            assert "print(" in block.find_element("css selector", "pre code").text
            assert block.find_element("css selector", "summary").text.startswith("program (python: exit 0")
            assert "The answer is" in reply.find_element("css selector", ".content").text
            assert console_errors(browser) == []


def test_loco_chat_web_serves_on_loopback_and_opens_the_page(default_env, tmp_path):
    """The default browser is $BROWSER (Python's webbrowser honours it): here a script that writes down the URL."""
    import socket
    import subprocess

    opened = tmp_path / "opened.txt"
    fake_browser = tmp_path / "browser.sh"
    fake_browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    fake_browser.chmod(0o755)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**default_env, "BROWSER": str(fake_browser), "LOCO_REGISTRY": str(REGISTRY)}
    server = subprocess.Popen([sys.executable, "-m", "loco_mlx", "chat", "--web", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        for _ in range(WAIT * 10):
            if opened.exists() and opened.read_text().strip():
                break
            assert server.poll() is None, server.stdout.read()
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/"
        assert opened.read_text().strip() == url  # opened once the server answered, on loopback
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "/web/app.js" in page.text
    finally:
        server.terminate()
        server.wait(30)


def test_a_close_routing_call_shows_the_low_margin_notice(browser, page):
    """A stored reply the router chose with little margin (as `loco chat` warns): the badge says so."""
    probabilities = {"math": 0.51, "base": 0.43, "json": 0.06}
    route = {"route": "math", "reason": "classifier", "margin": 0.08, "low_confidence": True,
             "keywords": {"math": ["how many"]}, "probabilities": probabilities}  # fmt: skip
    meta = {"model": "auto", "adapter": "math", "confidence": 0.51, "route": route, "tokens": 5}
    stored = {"messages": [{"role": "user", "content": "how many?"},
                           {"role": "assistant", "content": "The answer is 3.", "meta": meta}],
              "system": "", "model": "auto"}  # fmt: skip
    load(browser, page)
    browser.execute_script("localStorage.setItem('loco-chat-v1', arguments[0])", json.dumps(stored))
    load(browser, page, fresh=False)
    reply = last_reply(browser)
    assert reply.find_element("css selector", ".badge").text == "math · 51%"
    notice = reply.find_element("css selector", ".notice").text
    assert notice == "low confidence: the router's top two choices are close (margin 0.08)"
    reply.find_element("css selector", ".badge").click()
    why = reply.find_element("css selector", ".why").text.splitlines()
    assert why == ["why: classifier", "keywords: math: how many", "probability: math 0.510, base 0.430, json 0.060"]


def test_votes_in_the_settings_answer_with_the_majority_and_say_how_it_went(browser, page):
    load(browser, page)
    pick(browser, "math")
    set_max_tokens(browser, 40)
    browser.execute_script("document.getElementById('votes').value = '3'")
    send(browser, MATH)
    wait_idle(browser)
    reply = last_reply(browser)
    vote = reply.find_element("css selector", ".vote").text
    assert " over 3:" in vote or vote.startswith("best of 3"), vote  # "numeric vote over 3: 15 x2, ..."
    assert reply.find_element("css selector", ".content").text
    assert console_errors(browser) == []
