"""The test driver enforces dify-plugin-daemon's 5 MiB line cap exactly as the daemon does.

A fake plugin (a tiny `main.py` speaking the stdio protocol) answers one session with a line of a
chosen size; the driver must kill it when the line would overflow the daemon's scanner and must
accept the largest line that still fits.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from testkit.plugin_driver import DAEMON_MAX_LINE_BYTES, LineCapExceeded, PluginProcess

FAKE_PLUGIN = textwrap.dedent(
    """
    import json, sys
    print(json.dumps({"event": "heartbeat", "session_id": None, "data": {}}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        session, size = request["session_id"], request["data"]["size"]
        head = '{"event":"session","session_id":"%s","data":{"type":"stream","data":{"pad":"' % session
        tail = '"}}}'
        sys.stdout.write(head + "x" * (size - len(head) - len(tail)) + tail + "\\n\\n")
        sys.stdout.write(json.dumps({"event": "session", "session_id": session,
                                     "data": {"type": "end", "data": {}}}) + "\\n\\n")
        sys.stdout.flush()
    """
)


@pytest.fixture
def fake_plugin_dir(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(FAKE_PLUGIN)
    return tmp_path


def test_the_largest_line_the_daemon_reads_is_delivered(fake_plugin_dir):
    with PluginProcess("local", plugin_dir=fake_plugin_dir) as plugin:
        result = plugin.request({"size": DAEMON_MAX_LINE_BYTES})
        assert result.ok and len(result.single()["pad"]) > 5_000_000
        assert plugin.longest_line == DAEMON_MAX_LINE_BYTES
        assert plugin.alive


def test_one_byte_more_kills_the_plugin_like_the_daemon(fake_plugin_dir):
    with PluginProcess("local", plugin_dir=fake_plugin_dir) as plugin:
        with pytest.raises(LineCapExceeded, match="exceeds the daemon"):
            plugin.request({"size": DAEMON_MAX_LINE_BYTES + 1})
        plugin.process.wait(timeout=5)
        assert not plugin.alive
        with pytest.raises(LineCapExceeded):
            plugin.request({"size": 10})
