"""Start-up never fails on a setting: the plugin process starts, says which variable it ignored,
and serves with the default."""

from __future__ import annotations

from testkit.plugin_driver import PluginProcess, llm_request


def test_a_typo_in_a_setting_is_logged_and_the_plugin_serves(sim, creds):
    with PluginProcess(
        "local", extra_env={"ATLASCLOUD_TOTAL_TIMEOUT_S": "57O", "ATLASCLOUD_IMAGE_MEMORY_MB": "x"}
    ) as plugin:
        result = plugin.request(
            llm_request("Qwen/Qwen3-235B-A22B-Instruct-2507", creds, [{"role": "user", "content": "hi"}])
        )
        assert result.error is None and result.text()
        logs = "\n".join(plugin.stdout_lines + plugin.stderr_lines)
        assert "ATLASCLOUD_TOTAL_TIMEOUT_S='57O'" in logs and "ATLASCLOUD_IMAGE_MEMORY_MB='x'" in logs
        assert creds["api_key"] not in logs
