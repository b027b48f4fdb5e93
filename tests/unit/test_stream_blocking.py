"""Blocking replies: one result carrying text, calls, replay body and usage; chunks only when too large."""

from __future__ import annotations

from dify_plugin.entities.model.llm import LLMResult, LLMUsage

from models.llm.answer import ThinkOptions
from models.llm.dialect import Piece, ToolFragment, UsageDetails
from models.llm.stream import MAX_CHUNK_CHARS, completion_to_result
from tests.unit.fakes import usage_of


def result(*pieces: Piece, estimate=lambda text: (5, 6)):
    return completion_to_result("m", list(pieces), usage_of, estimate)


def call(index: int, arguments: str = "{}") -> ToolFragment:
    return ToolFragment(index=index, id=f"call_{index}", name="lookup", arguments=arguments)


def test_a_reply_read_as_several_pieces_is_one_text():
    # An SSE body answering a blocking request arrives as many pieces.
    answer = result(Piece(reasoning="why"), Piece(content="Hel"), Piece(content="lo"), Piece(finish_reason="stop"))
    assert isinstance(answer, LLMResult)
    assert answer.message.content == "<think>\nwhy\n</think>Hello"
    assert answer.message.opaque_body is None  # reasoning is replayed only for tool turns


def test_a_tool_turn_carries_its_calls_and_its_raw_reasoning_for_the_next_turn():
    answer = result(Piece(reasoning="need data"), Piece(tool_fragments=[call(0, '{"q": "x"}')]))
    assert [(c.id, c.function.name, c.function.arguments) for c in answer.message.tool_calls] == [
        ("call_0", "lookup", '{"q": "x"}')
    ]
    assert answer.message.opaque_body == {"reasoning_content": "need data"}
    assert result(Piece(tool_fragments=[call(0)])).message.opaque_body is None


def test_without_server_usage_the_estimate_reads_the_text_and_the_arguments():
    seen: list[str] = []

    def estimate(text: str) -> tuple[int, int]:
        seen.append(text)
        return 9, 4

    answer = result(Piece(content="Checking."), Piece(tool_fragments=[call(0, '{"q": 1}')]), estimate=estimate)
    assert seen == ['Checking.{"q": 1}']
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (9, 4)
    served = result(Piece(content="x", usage=(100, 2)), estimate=estimate)
    assert (served.usage.prompt_tokens, served.usage.completion_tokens) == (100, 2) and len(seen) == 1


def test_a_reply_of_exactly_the_chunk_cap_is_still_one_result():
    assert isinstance(result(Piece(content="a" * MAX_CHUNK_CHARS)), LLMResult)
    chunks = list(result(Piece(content="a" * (MAX_CHUNK_CHARS + 1))))
    assert [len(c.delta.message.content) for c in chunks] == [MAX_CHUNK_CHARS, 1, 0]


def test_calls_too_large_for_one_chunk_turn_the_result_into_chunks():
    big = '{"p": "' + "x" * (MAX_CHUNK_CHARS // 2) + '"}'
    chunks = list(result(Piece(tool_fragments=[call(0, big), call(1, big)], finish_reason="tool_calls")))
    assert [[t.id for t in c.delta.message.tool_calls] for c in chunks] == [["call_0"], ["call_1"], []]
    assert chunks[-1].delta.finish_reason == "tool_calls"


def test_a_large_reply_still_ends_reasoning_at_a_lone_closing_tag():
    # Templates that open <think> in the prompt send only "</think>"; the chunked form must agree.
    body = "x" * MAX_CHUNK_CHARS
    chunks = list(result(Piece(content="plan"), Piece(content="</think>"), Piece(content=body)))
    text = "".join(c.delta.message.content for c in chunks)
    assert text == "<think>\nplan\n</think>" + body


def test_a_large_reply_ends_reasoning_at_a_lone_closing_tag_however_far_it_is():
    # The whole reply is known: no lookahead limit applies, even past the streaming one (32k).
    thought = "t" * (40 * 1024)
    answer = "a" * MAX_CHUNK_CHARS
    chunks = list(result(Piece(content=thought), Piece(content="</think>"), Piece(content=answer)))
    text = "".join(c.delta.message.content for c in chunks)
    assert text == f"<think>\n{thought}\n</think>{answer}"


def test_a_whole_reply_in_pieces_splits_at_a_lone_close_in_a_later_piece_and_reports_it_once():
    closes: list[int] = []
    options = ThinkOptions(on_lone_close=lambda: closes.append(1))
    pieces = [Piece(content="weighing "), Piece(content="options</think>The answer.")]
    answer = completion_to_result("m", pieces, usage_of, lambda text: (5, 6), options)
    assert answer.message.content == "<think>\nweighing options\n</think>The answer."
    assert closes == [1]


def test_a_large_whole_reply_from_a_template_model_is_reasoning_in_every_chunk_and_reported_once():
    closes: list[int] = []
    opened = ThinkOptions(opened=True, on_lone_close=lambda: closes.append(1))
    cut_short = "x" * (MAX_CHUNK_CHARS + 10)  # the reply ended inside its reasoning
    chunks = list(completion_to_result("m", [Piece(content=cut_short)], usage_of, lambda text: (5, 6), opened))
    text = "".join(str(chunk.delta.message.content) for chunk in chunks)
    assert text == f"<think>\n{cut_short}\n</think>"
    closes.clear()
    undeclared = ThinkOptions(on_lone_close=lambda: closes.append(1))
    closed = "y" * MAX_CHUNK_CHARS + "</think>done"
    chunks = list(completion_to_result("m", [Piece(content=closed)], usage_of, lambda text: (5, 6), undeclared))
    assert "".join(str(chunk.delta.message.content) for chunk in chunks).endswith("</think>done")
    assert closes == [1]  # the chunks read the reply again without reporting it twice


def test_the_servers_cached_and_reasoning_parts_reach_the_pricing_and_an_estimate_has_none():
    priced: list[tuple[int, int, UsageDetails | None]] = []

    def make_usage(prompt: int, completion: int, details: UsageDetails | None) -> LLMUsage:
        priced.append((prompt, completion, details))
        return usage_of(prompt, completion)

    details = UsageDetails(cached_tokens=64, reasoning_tokens=8)
    completion_to_result("m", [Piece(content="x", usage=(100, 2), usage_details=details)], make_usage, lambda t: (5, 6))
    completion_to_result("m", [Piece(content="x")], make_usage, lambda text: (5, 6))
    assert priced == [(100, 2, details), (5, 6, None)]
