"""Errors inside a 200, error pages, and bytes nobody can read."""

from __future__ import annotations

from tests.replay.cases_endings import HELLO, HELLO_PARTS, openrouter, vllm_text
from tests.replay.cases_tools import call, vllm
from tests.replay.spec import BROKEN_TRANSPORT, SERVER_FAULT, Case, Expect, compact, sse

CONTEXT_MESSAGE = "the request exceeds the available context size, try increasing it"
SGLANG_MESSAGE = "The input (140000 tokens) is longer than the model's context length (131072 tokens)."

CLOUDFLARE_502 = b"""<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html class="no-js" lang="en-US">
<head>
<title>api.example.ai | 502: Bad gateway</title>
<meta charset="UTF-8" />
</head>
<body>
<div id="cf-wrapper">
<h1><span class="inline-block">Bad gateway</span> <span class="code-label">Error code 502</span></h1>
<h2 class="text-3xl font-normal leading-1.3 mb-4">What happened?</h2>
<p>The web server reported a bad gateway error.</p>
<h2 class="text-3xl font-normal leading-1.3 mb-4">What can I do?</h2>
<p class="mb-6">Please try again in a few minutes.</p>
<span class="cf-footer-item sm:block sm:mb-1">Cloudflare Ray ID:
<strong class="font-semibold">7b8af41e7b02b3f8</strong></span>
</div>
</body>
</html>
"""

NGINX_504 = (
    b"<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    b"<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

LOGIN_PAGE_200 = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><form method="post" action="/login"><input name="user"><input name="password" type="password">
<button>Sign in</button></form></body></html>
"""

CASES = (
    Case(
        name="sse_error_event_rate_limited",
        source="OpenRouter docs, errors https://openrouter.ai/docs/api-reference/errors (after a 200, errors arrive "
        "as an SSE data event `{error: {code, message}}`)",
        sse=sse(
            openrouter({"role": "assistant", "content": ""}),
            compact({"error": {"code": 429, "message": "Rate limit exceeded: limit_rpm/qwen/qwen3-235b-a22b-2507"}}),
            done=False,
        ),
        expect=Expect(error=("InvokeRateLimitError", "Rate limit exceeded: limit_rpm/qwen/qwen3-235b-a22b-2507")),
    ),
    Case(
        name="sse_error_event_context_too_long_llamacpp",
        source='ggml-org/llama.cpp#16109 (llama-server sends mid-stream errors as `data: {"error": ...}`); '
        "ggml-org/llama.cpp#14566 (HTTP 200 with the error in the streamed chunk)",
        note="The server's own code 400 blames the request: a bad request, with the server's words.",
        sse=sse(
            compact(
                {
                    "error": {
                        "code": 400,
                        "message": CONTEXT_MESSAGE,
                        "type": "exceed_context_size_error",
                        "n_prompt_tokens": 9211,
                        "n_ctx": 8192,
                    }
                }
            ),
            done=False,
        ),
        expect=Expect(error=("InvokeBadRequestError", CONTEXT_MESSAGE)),
    ),
    Case(
        name="sse_error_field_line_llamacpp_legacy",
        source="coddy-project/coddy-agent#106 (llama.cpp builds through 2025 send `error: {...}` as a non-standard "
        "SSE field line at HTTP 200, then `data: [DONE]`)",
        note="Strict SSE parsers drop the `error:` field and see an empty stream; a Dify user needs the server's "
        "reason, so the line is read as the error it is.",
        sse=sse(
            "error: "
            + compact(
                {"code": 400, "message": CONTEXT_MESSAGE.replace(", try", ". try"), "type": "invalid_request_error"}
            ),
        ),
        expect=Expect(error=("InvokeBadRequestError", "exceeds the available context size")),
    ),
    Case(
        name="sse_named_error_event",
        source="BerriAI/litellm#4562 (`event: error` with `{type: error, error: {type: api_error, message}}` "
        "mid-stream); ggml-org/llama.cpp#16109 discussion of `event: error`",
        sse=sse(
            *vllm_text("Hello", finish=None),
            'event: error\ndata: {"type":"error","error":{"details":null,"type":"api_error",'
            '"message":"Internal server error"}}',
            done=False,
        ),
        expect=Expect(error=(SERVER_FAULT, "Internal server error")),
    ),
    Case(
        name="openrouter_midstream_error_with_finish_error",
        source="OpenRouter docs, streaming https://openrouter.ai/docs/api-reference/streaming (Handling Errors "
        "During Streaming: an `error` field plus finish_reason error)",
        sse=sse(
            openrouter({"role": "assistant", "content": "The capital"}),
            compact(
                {
                    "id": "cmpl-abc123",
                    "object": "chat.completion.chunk",
                    "created": 1234567890,
                    "model": "qwen/qwen3-235b-a22b-2507",
                    "provider": "openai",
                    "error": {"code": "server_error", "message": "Provider disconnected unexpectedly"},
                    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
                }
            ),
        ),
        expect=Expect(error=(SERVER_FAULT, "Provider disconnected unexpectedly")),
    ),
    Case(
        name="atlascloud_envelope_in_stream",
        source="AtlasCloud docs, errors https://atlascloud.ai/docs/en/errors (`{code, msg, request_id, data}` "
        "envelope; 429 = rate limit per account and model)",
        sse=sse(
            compact(
                {
                    "code": 429,
                    "msg": "rate limit exceeded for model deepseek-ai/deepseek-v3.2",
                    "request_id": "8f3a2c1d-4b5e-6f70-8192-a3b4c5d6e7f8",
                    "data": None,
                }
            ),
            done=False,
        ),
        expect=Expect(error=("InvokeRateLimitError", "rate limit exceeded for model deepseek-ai/deepseek-v3.2")),
    ),
    Case(
        name="sglang_stream_200_with_error_400",
        source="sgl-project/sglang#21900 and #20027 (SGLang answered stream=true with HTTP 200 and an error payload, "
        "error.code 400, for oversized prompts)",
        sse=sse(
            compact(
                {
                    "error": {
                        "object": "error",
                        "message": SGLANG_MESSAGE,
                        "type": "BadRequestError",
                        "param": None,
                        "code": 400,
                    }
                }
            )
        ),
        expect=Expect(error=("InvokeBadRequestError", "longer than the model's context length")),
    ),
    Case(
        name="error_with_string_code_after_partial_tool_call",
        source='experientiallabs/experiential#758 (gateway error event with code "all_routes_failed" after '
        "partial tool-call fragments)",
        note="A code that is not an HTTP status: the server failed, so server unavailable, with its words.",
        sse=sse(
            vllm({"role": "assistant"}),
            vllm({"tool_calls": [call(0, "", "call_73e9f9cfb9004dc1aaa71615", "get_weather")]}),
            vllm({"tool_calls": [call(0, '{"')]}),
            vllm({"tool_calls": [call(0, "city")]}),
            compact(
                {
                    "error": {
                        "message": "provider returned a malformed response; retry the request",
                        "type": "api_error",
                        "param": None,
                        "code": "all_routes_failed",
                    }
                }
            ),
            done=False,
        ),
        expect=Expect(error=(SERVER_FAULT, "provider returned a malformed response")),
    ),
    Case(
        name="blocking_200_with_error_body_openrouter",
        source="OpenRouter docs, errors https://openrouter.ai/docs/api-reference/errors (once the model started, "
        "errors come in the 200 response body)",
        json=compact(
            {
                "error": {
                    "code": 502,
                    "message": "Provider returned error",
                    "metadata": {"provider_name": "Chutes", "raw": "upstream connect error"},
                },
                "user_id": "user_2vQ9x",
            }
        ).encode(),
        expect=Expect(error=(SERVER_FAULT, "Provider returned error")),
    ),
    Case(
        name="blocking_200_with_atlascloud_envelope",
        source="AtlasCloud docs, errors https://atlascloud.ai/docs/en/errors (`{code, msg, request_id, data}`); "
        'anomalyco/models.dev#6376 (MiniMax rejects thinking switches with 400 "invalid request params")',
        json=compact(
            {
                "code": 400,
                "msg": "invalid request params",
                "request_id": "c0ffee00-1234-4abc-9def-0123456789ab",
                "data": None,
            }
        ).encode(),
        expect=Expect(error=("InvokeBadRequestError", "invalid request params")),
    ),
    Case(
        name="html_502_cloudflare_page",
        source="acheong08/ChatGPT#1340 (Cloudflare's HTML 'Bad gateway' page instead of JSON); sc2-pulse/sc2-pulse#262",
        note="A page of HTML is no message: the error must say 502 in a sentence, without the markup.",
        status=502,
        content_type="text/html; charset=UTF-8",
        sse=CLOUDFLARE_502,
        json=CLOUDFLARE_502,
        expect=Expect(error=(SERVER_FAULT, "502")),
    ),
    Case(
        name="html_504_nginx_page",
        source="KenyonY/openai-forward#119 and etalab-ia/OpenGateLLM#116 (nginx '504 Gateway Time-out' HTML body)",
        status=504,
        content_type="text/html",
        sse=NGINX_504,
        json=NGINX_504,
        expect=Expect(error=(SERVER_FAULT, "504")),
    ),
    Case(
        name="html_page_with_status_200",
        source="UKGovernmentBEIS/inspect_ai#3687 (an OpenAI-compatible server answered 200 with a body that is not "
        "a chat completion; reported as a server error)",
        content_type="text/html; charset=utf-8",
        sse=LOGIN_PAGE_200,
        json=LOGIN_PAGE_200,
        expect=Expect(error=(SERVER_FAULT, "")),
    ),
    Case(
        name="malformed_json_in_data_line",
        source="anomalyco/opencode#13579 (Kimi K2.5 via a gateway: two chunks spliced into one data line, "
        '`{"id":"chatcmpl-jQugNdata:{"id":...`)',
        note="Garbage that is not a keep-alive means the server's reply is broken: server unavailable, "
        "with a sentence, never a JSON decoder message.",
        sse=sse(
            *vllm_text("Hello", finish=None),
            '{"id":"chatcmpl-jQugNdata: {"id":"chatcmpl-iU6vkr3fItZ0Y4rTCmIyAnXO","object":"chat.completion.chunk",'
            '"choices":[{"index":0,"delta":{"content":"!"}}]}',
            *vllm_text(" How can I help you today?")[1:],
        ),
        expect=Expect(error=(SERVER_FAULT, "")),
    ),
    Case(
        name="data_null_before_done",
        source="decolua/9router#1148 (a gateway emitted a stray `data: null` between the last chunk and [DONE])",
        note="`null` is valid JSON that carries nothing, like a keep-alive; the answer before it is complete.",
        sse=sse(*vllm_text(*HELLO_PARTS), "null"),
        expect=Expect(answer=HELLO),
    ),
    Case(
        name="non_utf8_bytes_in_content",
        source="unslothai/llama.cpp#202 (invalid UTF-8 from the model travels onward to clients); "
        "ggml-org/llama.cpp#28926 (SSE buffer eviction cut UTF-8 sequences on the wire)",
        note="Bytes that are not UTF-8 cannot be shown: the reply is broken, with a readable sentence.",
        sse=sse(*vllm_text("Hello", finish=None), done=False)
        + b'data: {"id":"chatcmpl-cb1efbea88d44f1ca0da701ac2139e53","object":"chat.completion.chunk",'
        b'"created":1763738578,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":"caf\xe9 \xff\xfe"},'
        b'"logprobs":null,"finish_reason":null}]}\n\n' + sse(vllm({"content": ""}, "stop")),
        expect=Expect(error=(BROKEN_TRANSPORT, "")),
    ),
    Case(
        name="truncated_blocking_json_body",
        source="wso2/api-manager#5231 (an AI gateway intermittently returned HTTP 200 with a truncated JSON body)",
        json=b'{"id":"chatcmpl-8f3e0c5d2b9a4c7e","object":"chat.completion","created":1763738578,"model":"Qwen/Qwen3-8B",'
        b'"choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I he',
        expect=Expect(error=(BROKEN_TRANSPORT, "")),
    ),
)
