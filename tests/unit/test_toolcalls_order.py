"""Tool-call fragments from servers that send no ids: where each call begins, and how calls leave."""

from __future__ import annotations

import re

import pytest

from models.llm.dialect import ToolFragment
from models.llm.toolcalls import ToolCallAssembler
from provider.errors.tree import ReplyError


def assembled(*fragments: ToolFragment) -> ToolCallAssembler:
    assembler = ToolCallAssembler()
    for fragment in fragments:
        assembler.add(fragment)
    return assembler


def calls(*fragments: ToolFragment) -> list[tuple[str, str]]:
    return [(c.function.name, c.function.arguments) for c in assembled(*fragments).calls()]


def test_a_name_repeated_before_any_arguments_is_still_one_call():
    assert calls(ToolFragment(name="f"), ToolFragment(name="f", arguments='{"x": 1}')) == [("f", '{"x": 1}')]


def test_a_name_that_arrives_after_the_arguments_names_that_call():
    assert calls(ToolFragment(arguments='{"a": 1}'), ToolFragment(name="f")) == [("f", '{"a": 1}')]


def test_an_id_that_arrives_after_the_arguments_belongs_to_that_call():
    (call,) = assembled(ToolFragment(name="f", arguments="{}"), ToolFragment(id="call_9")).calls()
    assert (call.id, call.function.name) == ("call_9", "f")


def test_a_new_name_announced_before_its_arguments_begins_another_call():
    fragments = (
        ToolFragment(name="f", arguments='{"n": 1}'),
        ToolFragment(name="g"),
        ToolFragment(arguments='{"m": 2}'),
    )
    assert calls(*fragments) == [("f", '{"n": 1}'), ("g", '{"m": 2}')]


def test_the_same_name_with_a_fresh_object_after_a_finished_call_is_another_call_even_after_spaces():
    assert calls(ToolFragment(name="f", arguments='{"n": 1}'), ToolFragment(name="f", arguments=' {"n": 2}')) == [
        ("f", '{"n": 1}'),
        ("f", '{"n": 2}'),
    ]


def test_calls_with_an_index_come_first_by_index_then_the_others_in_arrival_order():
    fragments = (
        ToolFragment(name="late", arguments="{}"),
        ToolFragment(index=1, id="b", name="second", arguments="{}"),
        ToolFragment(index=0, id="a", name="first", arguments="{}"),
        ToolFragment(id="z", name="later", arguments="{}"),
    )
    assert [name for name, _ in calls(*fragments)] == ["first", "second", "late", "later"]


def test_every_call_is_a_function_call_with_an_openai_shaped_id_when_the_server_sent_none():
    made = assembled(ToolFragment(name="f", arguments="{}"), ToolFragment(index=4, id="own", name="g")).calls()
    assert [c.type for c in made] == ["function", "function"]
    assert re.fullmatch(r"call_[0-9a-f]{24}", made[1].id) and made[0].id == "own"


def test_arguments_that_are_not_json_name_the_tool():
    with pytest.raises(ReplyError) as raised:
        assembled(ToolFragment(name="lookup", arguments="{'single': quotes}")).calls()
    assert str(raised.value) == "the model's call to tool 'lookup' has arguments that are not valid JSON"
