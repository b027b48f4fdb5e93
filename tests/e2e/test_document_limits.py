"""The limits an administrator sets, the model's context, and document URLs, through the real plugin
process (stdio and serverless): a cut says so to the model and in the plugin log, and a document
URL is downloaded under the same policy as an image URL."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from testkit.documents import document_part, scanned_pdf, text_pdf
from testkit.plugin_driver import PluginProcess, action_request, llm_request
from testkit.simulator.inspect import inspect_images
from testkit.simulator.server import Simulator

VISION = "qwen/qwen3.5-27b"
USER_ADDED = "sim/plain-chat"
PDF = "application/pdf"
LIMITS = {"ATLASCLOUD_DOCUMENT_PAGE_IMAGES": "2", "ATLASCLOUD_DOCUMENT_MAX_CHARS": "5000"}


@pytest.fixture(scope="module", params=["local", "serverless"])
def limited(request: pytest.FixtureRequest, sim: Simulator) -> Iterator[PluginProcess]:
    file_server = urlsplit(sim.file_url).netloc
    env = {**LIMITS, "ATLASCLOUD_ALLOWED_FILE_HOSTS": file_server, "HTTP_PROXY": "", "http_proxy": ""}
    process = PluginProcess(request.param, extra_env=env)
    yield process
    process.stop()


def send(plugin, creds, part, model=VISION, parameters=None):
    messages = [{"role": "user", "content": [{"type": "text", "data": "Read this."}, part]}]
    return plugin.request(
        llm_request(model, creds, messages, parameters=parameters or {"thinking": False}), timeout=180
    )


def sent_text(sim) -> str:
    return "\n".join(p["text"] for p in sim.last_body()["messages"][0]["content"] if p["type"] == "text")


def logged(plugin: PluginProcess, words: str) -> int:
    return sum(words in line for line in plugin.stdout_lines)


def test_page_images_stop_at_the_administrators_limit_and_say_so(limited, sim, creds):
    result = send(limited, creds, document_part(scanned_pdf(4), PDF, "scans.pdf"))
    assert result.ok, result.error
    assert len(inspect_images(sim.last_body())) == 2
    note = "[Page images stop before page 3: later pages are text only (limit: page images per request: 2).]"
    text = sent_text(sim)
    assert note in text and "[page 3 of 4: no extractable text (a scan or a picture)]" in text
    assert logged(limited, "scans.pdf") and logged(limited, "page images per request: 2")


def test_text_stops_at_the_administrators_character_limit_and_says_so(limited, sim, creds):
    result = send(limited, creds, document_part(text_pdf(5), PDF, "long.pdf"))
    assert result.ok, result.error
    text = sent_text(sim)
    note = "[Document cut after page 2 of 5: the rest is not included (limit: characters per document: 5,000).]"
    assert note in text and "[page 3 of 5]" not in text
    assert logged(limited, "characters per document: 5,000")


def test_a_document_never_takes_more_than_the_models_context_leaves(limited, sim, creds):
    model_creds = {**creds, "context_size": "3072", "max_tokens": "2048"}
    result = send(limited, model_creds, document_part(text_pdf(2), PDF, "a.pdf"), USER_ADDED, {"max_tokens": 2000})
    assert result.ok, result.error
    text = sent_text(sim)
    assert "room left in the model's 3,072-token context" in text
    counted = limited.request(
        action_request(
            "get_llm_num_tokens", "llm", USER_ADDED, model_creds, prompt_messages=sim_messages(sim), tools=[]
        )
    )
    assert counted.ok and counted.single()["num_tokens"] + 2000 <= 3072


def sim_messages(sim) -> list[dict]:
    """The text AtlasCloud received, as a plain Dify message (to count it the plugin's way)."""
    return [{"role": "user", "content": sent_text(sim)}]


def test_counting_renders_no_page_and_a_second_turn_renders_none_again(limited, sim, creds):
    part = document_part(scanned_pdf(2, size=(400, 520)), PDF, "twice.pdf")
    before = logged(limited, "page images rendered")
    messages = [{"role": "user", "content": [part]}]
    counted = limited.request(
        action_request("get_llm_num_tokens", "llm", VISION, creds, prompt_messages=messages, tools=[])
    )
    assert counted.ok and counted.single()["num_tokens"] > 2 * 2000
    assert logged(limited, "page images rendered") == before, "a count renders nothing"
    assert send(limited, creds, part).ok and send(limited, creds, part).ok
    assert logged(limited, "page images rendered") == before + 1, "the second turn's page images come from the cache"


def test_a_document_url_on_the_allowlisted_file_server_is_downloaded(limited, sim, creds):
    sim.state.files["report.pdf"] = (text_pdf(1, lines=3), "application/pdf")
    part = {**document_part(b"", PDF, "report.pdf", url=f"{sim.file_url}/report.pdf")}
    result = send(limited, creds, part)
    assert result.ok, result.error
    assert "[page 1 of 1]\nPage 1 line 1: The quick brown fox" in sent_text(sim)
    assert any(r.path == "/files/report.pdf" for r in sim.requests())


@pytest.mark.parametrize("url", ["http://10.0.0.1/report.pdf", "http://127.0.0.1:9/report.pdf", "file:///etc/passwd"])
def test_a_document_url_outside_the_download_policy_is_refused_with_one_sentence(limited, sim, creds, url):
    result = send(limited, creds, document_part(b"", PDF, "report.pdf", url=url))
    assert result.error_type == "InvokeBadRequestError"
    assert result.message == "Document 'report.pdf' cannot be read: the document could not be downloaded from its URL."
    assert sim.requests("/v1/chat/completions") == []
