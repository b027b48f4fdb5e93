"""A request's documents (session.py) beyond the end-to-end paths of test_document_session.py: the
context and answer reserve a budget is made from, the exact refusals, which documents are read,
and what happens to page images that cannot be made. Text documents are read in this process, so
these tests start no reader."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelPropertyKey, ModelType, ParameterRule
from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    DocumentPromptMessageContent,
    ImagePromptMessageContent,
    PromptMessageTool,
    TextPromptMessageContent,
    UserPromptMessage,
)

from models.vision_utils.content import user_content
from models.vision_utils.document import extract, pages, session, source
from models.vision_utils.document.limits import DocumentLimits
from models.vision_utils.document.plan import DocumentPlan, PageImage, PagePlan
from models.vision_utils.document.protocol import ReaderError
from models.vision_utils.document.session import (
    DEFAULT_RESERVE,
    RequestDocuments,
    _Document,
    context_and_reserve,
    document_parts,
    failure,
    request_documents,
)
from models.vision_utils.image.policy import ImagePolicy
from provider.errors.tree import DocumentError, FetchFailed, ImageError
from testkit.documents import document_part


@pytest.fixture(autouse=True)
def _fresh_caches():
    extract.clear_caches()
    pages.clear_cache()
    yield
    extract.clear_caches()
    pages.clear_cache()


def text_part(text: str, name: str = "notes.md") -> DocumentPromptMessageContent:
    return DocumentPromptMessageContent(**document_part(text.encode(), "text/markdown", name))


def image_part() -> ImagePromptMessageContent:
    return ImagePromptMessageContent(format="png", mime_type="image/png", base64_data="AAAA")


def user(*parts: Any) -> UserPromptMessage:
    return UserPromptMessage(content=[TextPromptMessageContent(data="Read this."), *parts])


def schema(properties: dict, rules: list[ParameterRule] = ()) -> AIModelEntity:
    return AIModelEntity(
        model="m",
        label={"en_US": "m"},
        model_type=ModelType.LLM,
        fetch_from=FetchFrom.CUSTOMIZABLE_MODEL,
        model_properties=properties,
        parameter_rules=list(rules),
    )


def max_tokens_rule(default: Any) -> ParameterRule:
    return ParameterRule(name="max_tokens", label={"en_US": "Max"}, type="int", default=default)


def test_the_reserve_is_the_requests_max_tokens_else_the_models_default_else_8192():
    model = schema({ModelPropertyKey.CONTEXT_SIZE: 32_000}, [max_tokens_rule(3000)])
    assert context_and_reserve(model, {"max_tokens": 500}) == (32_000, 500)
    assert context_and_reserve(model, {"max_tokens": 0}) == (32_000, 3000)
    assert context_and_reserve(model, {"max_tokens": "500"}) == (32_000, 3000)
    assert context_and_reserve(model, None) == (32_000, 3000)
    other = ParameterRule(name="temperature", label={"en_US": "T"}, type="float", default=0.7)
    no_default = schema({ModelPropertyKey.CONTEXT_SIZE: 32_000}, [other, max_tokens_rule(None), max_tokens_rule(0)])
    assert context_and_reserve(no_default, {}) == (32_000, DEFAULT_RESERVE) == (32_000, 8192)
    assert context_and_reserve(schema({}, [max_tokens_rule(2500.0)]), {}) == (0, 2500)
    assert context_and_reserve(None, {"max_tokens": 100}) == (0, 100)
    assert context_and_reserve(None, None) == (0, 8192)


def test_the_context_size_may_be_keyed_by_its_plain_name():
    assert context_and_reserve(schema({"context_size": 4096}), None) == (4096, 8192)


def test_a_refusal_names_the_document_and_the_formats_only_when_the_format_is_the_problem():
    assert str(failure("a.zip", "it is a ZIP archive")) == "Document 'a.zip' cannot be read: it is a ZIP archive."
    assert str(failure("a.zip", "x", supported=True)) == (
        "Document 'a.zip' cannot be read: x. The plugin reads PDF, DOCX, plain text, Markdown, CSV, JSON and HTML."
    )


def test_only_documents_in_user_messages_with_parts_are_read():
    doc = text_part("x")
    elsewhere = AssistantPromptMessage(content=[TextPromptMessageContent(data="see"), text_part("not read")])
    messages = [
        user(image_part(), doc),
        elsewhere,
        AssistantPromptMessage(content="done"),
        UserPromptMessage(content="plain"),
    ]
    assert document_parts(messages) == [doc]


def test_a_request_without_documents_counts_its_images_and_reads_nothing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(session, "extract", lambda *_: pytest.fail("nothing to read"))
    documents = request_documents([user(image_part(), image_part())], None, ImagePolicy(), None, sending=True)
    assert (documents.page_images, documents.images_in_request) == (0, 2)


def test_the_settings_limits_apply_when_none_are_given(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(session.DocumentLimits, "from_settings", classmethod(lambda cls: DocumentLimits(max_chars=5)))
    messages = [user(text_part("abcdefghij"))]
    documents = request_documents(messages, None, None, None, sending=True)
    [part] = documents.convert(messages[0].content[1])
    assert "abcde" in part["text"] and "abcdef" not in part["text"]


def _sent(messages: list, documents: RequestDocuments) -> str:
    return "".join(part["text"] for m in messages for part in user_content(m, None, documents.convert))


def test_documents_get_the_room_the_context_leaves_less_the_reserve_and_the_rest_of_the_prompt():
    long = " ".join(f"word{n}" for n in range(3000))
    messages = [user(text_part(long))]
    model = schema({ModelPropertyKey.CONTEXT_SIZE: 2000})
    documents = request_documents(messages, None, None, model, {"max_tokens": 500}, sending=True)
    text = _sent(messages, documents)
    others = 3 + 4 + 3  # the reply primer, the message and "Read this." (tokens/prompt.py)
    room = int((2000 - 500 - others) * 0.9)
    assert f"(limit: room left in the model's 2,000-token context: {room:,}).]" in text


def test_without_a_context_size_the_administrators_limit_is_the_room():
    messages = [user(text_part(" ".join(f"word{n}" for n in range(3000))))]
    limits = DocumentLimits(request_max_tokens=900)
    text = _sent(messages, request_documents(messages, None, None, None, sending=True, limits=limits))
    assert "(limit: tokens of documents per request: 900).]" in text


def test_a_context_larger_than_the_administrators_limit_leaves_the_limit_in_charge():
    messages = [user(text_part(" ".join(f"word{n}" for n in range(3000))))]
    limits = DocumentLimits(request_max_tokens=900)
    model = schema({ModelPropertyKey.CONTEXT_SIZE: 100_000})
    text = _sent(messages, request_documents(messages, None, None, model, sending=True, limits=limits))
    assert "(limit: tokens of documents per request: 900).]" in text


def test_a_context_already_full_leaves_documents_no_room():
    messages = [user(text_part("short text"))]
    model = schema({ModelPropertyKey.CONTEXT_SIZE: 100})
    text = _sent(messages, request_documents(messages, None, None, model, {"max_tokens": 500}, sending=True))
    assert "[Document cut after 0 characters" in text and "short text" not in text


def test_the_latest_document_is_planned_first_and_a_repeat_is_sent_once(caplog: pytest.LogCaptureFixture):
    first = text_part("first", "first.md")
    early, late = text_part("early " * 400, "early.md"), text_part("late " * 400, "late.md")
    again = text_part("early " * 400, "early.md")
    messages = [user(first), user(early), user(late), user(again)]
    limits = DocumentLimits(request_max_chars=3000)
    with caplog.at_level(logging.INFO, logger=session.__name__):
        documents = request_documents(messages, None, None, None, sending=True, limits=limits)
    assert documents.convert(early)[0]["text"].startswith('<document name="early.md">\n[The same file')
    assert documents.counted(early) == documents.convert(early)
    assert "late late" in documents.convert(late)[0]["text"]
    assert "early early" in documents.convert(again)[0]["text"]
    assert "[Document cut" in documents.convert(late)[0]["text"], "the earlier one gets what the later left"
    assert "first" in documents.convert(first)[0]["text"], "planned after the repeat"
    digest = hashlib.sha256(("late " * 400).encode()).hexdigest()
    [note] = [m for m in caplog.messages if m.startswith("document 'late.md'")]
    assert note == (
        f"document 'late.md' ({digest[:12]}…): [Document cut after 599 characters: the rest is not included "
        "(limit: characters of documents per request: 601).]"
    )


def test_a_text_document_keeps_no_bytes_once_planned():
    messages = [user(text_part("abc"))]
    documents = request_documents(messages, None, ImagePolicy(), None, sending=True)
    assert documents._by_part[id(messages[0].content[1])].raw == b""


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (ReaderError("password", "it is locked"), "Document 'a.pdf' cannot be read: it is locked."),
        (
            ReaderError("format", "it is a ZIP archive, not a Word document"),
            "Document 'a.pdf' cannot be read: it is a ZIP archive, not a Word document. The plugin reads PDF, "
            "DOCX, plain text, Markdown, CSV, JSON and HTML.",
        ),
        (
            FetchFailed("the document could not be downloaded"),
            "Document 'a.pdf' cannot be read: the document could not be downloaded.",
        ),
    ],
)
def test_a_document_that_cannot_be_read_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, raised: Exception, said: str
):
    def fail(*_: Any) -> Any:
        raise raised

    monkeypatch.setattr(session, "extract", fail)
    part = DocumentPromptMessageContent(**document_part(b"%PDF-1.7", "application/pdf", "a.pdf"))
    with caplog.at_level(logging.INFO, logger=session.__name__), pytest.raises(DocumentError) as caught:
        request_documents([user(part)], None, None, None, sending=True)
    assert str(caught.value) == said
    assert caplog.messages == [f"document 'a.pdf' not sent: {said}"]
    counted = request_documents([user(part)], None, None, None, sending=False)
    assert counted.counted(part) == [{"type": "text", "text": f"[{said}]"}]


def test_a_bad_document_does_not_stop_the_others_from_being_counted(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(source, "fetch_document", lambda url: b"\x1f\x8b gzip")
    bad = DocumentPromptMessageContent(**document_part(b"", "application/pdf", "a.pdf", url="https://x.example/a"))
    good = text_part("fine")
    counted = request_documents([user(good, bad)], None, None, None, sending=False)
    assert counted.counted(bad)[0]["text"].startswith("[Document 'a.pdf' cannot be read: it is a gzip archive.")
    assert "fine" in counted.counted(good)[0]["text"]


def _scanned(policy: ImagePolicy | None) -> RequestDocuments:
    part = text_part("x", "s.pdf")
    image = PageImage(0.5, (10, 10), 85)
    plan = DocumentPlan("s.pdf", "PDF", True, 2, (PagePlan(1, "", image), PagePlan(2, "", image)), (), "d" * 64)
    document = _Document(part, "s.pdf", b"%PDF-", plan=plan)
    return RequestDocuments([document], policy, 3, DocumentLimits())


def test_page_images_count_with_the_requests_other_images(monkeypatch: pytest.MonkeyPatch):
    seen: list[int] = []

    def images(raw: bytes, plan: DocumentPlan, policy: ImagePolicy, count: int, limits: Any) -> dict:
        seen.append(count)
        return {page.number: {"type": "image_url", "page": page.number} for page in plan.pages}

    monkeypatch.setattr(session, "page_images", images)
    documents = _scanned(ImagePolicy())
    assert (documents.page_images, documents.images_in_request) == (2, 5)
    parts = documents.convert(next(iter(documents._by_part.values())).part)
    assert [part.get("page") for part in parts] == [None, 1, None, 2, None]
    assert seen == [5]


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (
            ReaderError("limit", "it broke"),
            "Document 's.pdf' cannot be read: a page image could not be made: it broke.",
        ),
        (ImageError("too big"), "Document 's.pdf' cannot be read: a page image cannot be sent: too big."),
    ],
)
def test_a_page_image_that_cannot_be_made_fails_the_request(
    monkeypatch: pytest.MonkeyPatch, raised: Exception, said: str
):
    def fail(*_: Any) -> Any:
        raise raised

    monkeypatch.setattr(session, "page_images", fail)
    documents = _scanned(ImagePolicy())
    with pytest.raises(DocumentError) as caught:
        documents.convert(next(iter(documents._by_part.values())).part)
    assert str(caught.value) == said


@pytest.mark.parametrize(
    ("mime", "name", "extension", "kind"),
    [("text/csv", "", "", "CSV"), ("application/octet-stream", "data.json", "", "JSON"),
     ("application/octet-stream", "", "md", "Markdown")],
)  # fmt: skip
def test_the_kind_of_a_text_document_comes_from_its_mime_type_name_or_format(
    mime: str, name: str, extension: str, kind: str
):
    part = DocumentPromptMessageContent(
        type="document", format=extension, mime_type=mime, filename=name, base64_data="YSxi"
    )
    documents = request_documents([user(part)], None, None, None, sending=True)
    assert f'type="{kind}"' in documents.convert(part)[0]["text"]


def test_a_reserve_of_one_token_is_a_reserve():
    assert context_and_reserve(
        schema({ModelPropertyKey.CONTEXT_SIZE: 32_000}, [max_tokens_rule(3000)]), {"max_tokens": 1}
    ) == (
        32_000,
        1,
    )
    assert context_and_reserve(schema({ModelPropertyKey.CONTEXT_SIZE: 32_000}, [max_tokens_rule(1)]), {}) == (32_000, 1)


def test_room_exactly_at_the_administrators_limit_names_that_limit():
    messages = [user(text_part(" ".join(f"word{n}" for n in range(3000))))]
    model = schema({ModelPropertyKey.CONTEXT_SIZE: 1510})  # (1510 - 500 - 10) * 0.9 = 900
    limits = DocumentLimits(request_max_tokens=900)
    documents = request_documents(messages, None, None, model, {"max_tokens": 500}, sending=True, limits=limits)
    assert "(limit: tokens of documents per request: 900).]" in _sent(messages, documents)


def test_the_rest_of_the_prompt_counts_its_tools_and_images():
    long = " ".join(f"word{n}" for n in range(3000))
    model = schema({ModelPropertyKey.CONTEXT_SIZE: 4000})
    tool = PromptMessageTool(name="lookup", description="Look a word up. " * 20, parameters={"type": "object"})

    def note(messages: list, tools: list | None, policy: ImagePolicy | None) -> str:
        documents = request_documents(messages, tools, policy, model, {"max_tokens": 500}, sending=True)
        text = _sent(messages, documents)
        return text[text.index("(limit: room left") :]

    plain = note([user(text_part(long))], None, None)
    assert note([user(text_part(long))], [tool], None) != plain
    assert note([user(image_part(), text_part(long))], None, ImagePolicy()) != note(
        [user(image_part(), text_part(long))], None, None
    )
