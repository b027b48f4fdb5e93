"""Replayed assistant turns: our think block leaves the content, reasoning goes back where models demand it."""

from __future__ import annotations

from dify_plugin.entities.model.message import AssistantPromptMessage, TextPromptMessageContent

from models.llm.messages import split_reasoning, to_openai_messages

Call = AssistantPromptMessage.ToolCall


def call(call_id: str = "call_1", name: str = "get_weather", arguments: str = '{"city": "Oslo"}') -> Call:
    return Call(id=call_id, type="function", function=Call.ToolCallFunction(name=name, arguments=arguments))


def replay(message: AssistantPromptMessage, always_replay: bool = False) -> dict:
    (converted,) = to_openai_messages([message], None, always_replay)
    return converted


def test_the_think_block_is_stripped_from_a_plain_answer_and_not_sent_back():
    message = AssistantPromptMessage(content="<think>\nweighing options\n</think>The answer is 4.")
    assert replay(message) == {"role": "assistant", "content": "The answer is 4."}


def test_a_tool_turn_sends_its_calls_and_its_reasoning_back():
    message = AssistantPromptMessage(content="<think>\nneed the weather\n</think>", tool_calls=[call()])
    assert replay(message) == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
        ],
        "reasoning_content": "need the weather",
    }


def test_a_call_without_arguments_is_sent_with_an_empty_object():
    sent = replay(AssistantPromptMessage(content="", tool_calls=[call(arguments="")]))
    assert sent["tool_calls"][0]["function"]["arguments"] == "{}"


def test_the_raw_reasoning_kept_with_the_turn_wins_over_the_shown_text():
    # Dify may store the text without its think block; the chunk's opaque_body still has it.
    message = AssistantPromptMessage(
        content="Checking.", tool_calls=[call()], opaque_body={"reasoning_content": "raw plan"}
    )
    assert replay(message)["reasoning_content"] == "raw plan"
    assert replay(message)["content"] == "Checking."


def test_an_opaque_body_of_another_shape_is_ignored():
    for opaque in ({"reasoning_content": 5}, {"other": "x"}, "text"):
        message = AssistantPromptMessage(content="<think>\nshown\n</think>", tool_calls=[call()], opaque_body=opaque)
        assert replay(message)["reasoning_content"] == "shown", opaque


def test_a_tool_turn_without_reasoning_carries_none_unless_the_model_demands_it():
    message = AssistantPromptMessage(content="", tool_calls=[call()])
    assert "reasoning_content" not in replay(message)
    assert "reasoning_content" not in to_openai_messages([message], None)[0]  # the default: not demanded
    assert replay(message, always_replay=True)["reasoning_content"] == ""


def test_reasoning_is_never_replayed_on_a_turn_without_tool_calls():
    message = AssistantPromptMessage(content="<think>\nr\n</think>A", opaque_body={"reasoning_content": "r"})
    assert replay(message, always_replay=True) == {"role": "assistant", "content": "A"}


def test_text_parts_of_an_assistant_turn_are_joined_by_lines():
    parts = [TextPromptMessageContent(data="first"), TextPromptMessageContent(data="second")]
    assert replay(AssistantPromptMessage(content=parts))["content"] == "first\nsecond"


def test_only_a_leading_think_block_is_ours():
    assert split_reasoning("  \n<think>\nplan\n</think>\n\nAnswer") == ("plan", "Answer")
    assert split_reasoning("<think>one line</think>Answer") == ("one line", "Answer")
    assert split_reasoning("<think>\n  \n</think>Answer") == (None, "Answer")
    assert split_reasoning("Use <think>x</think> tags") == (None, "Use <think>x</think> tags")
    assert split_reasoning("no block") == (None, "no block")
