"""The Dify LargeLanguageModel for AtlasCloud: a thin router over the focused modules.

Data flows one way: Dify request -> messages.py / request.py (images via vision_utils)
-> upstream.py (the shared client, within the invocation's deadline) -> dialect.py / answer.py
-> stream.py -> Dify chunks; any failure on the way -> provider/errors/mapping.py, redacted.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from functools import partial
from typing import Any

from dify_plugin import LargeLanguageModel
from dify_plugin.entities.model import ModelFeature
from dify_plugin.entities.model.llm import LLMResult, LLMResultChunk
from dify_plugin.entities.model.message import PromptMessage, PromptMessageTool

from models.common.catalog import plugin_settings
from models.common.model import AtlasCloudModel, validation_failure
from models.llm.facts import model_prices, priced_usage, think_options
from models.llm.messages import to_openai_messages, to_openai_tools
from models.llm.request import build_chat_request, demands_reasoning_replay
from models.llm.schema import customizable_llm_schema
from models.llm.stream import completion_to_result, stream_to_chunks
from models.llm.upstream import ChatStream, fetch_completion, open_chat
from models.llm.user_model import refuse_if_not_ready
from models.vision_utils.document.session import request_documents
from models.vision_utils.image.part import to_openai_image
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.image import estimate_image_tokens
from models.vision_utils.tokens.prompt import count_prompt_tokens
from models.vision_utils.tokens.text import count_text
from provider.connection import connection_from_credentials, open_client
from provider.deadline import VALIDATION_BUDGET_S, Deadline, with_retries
from provider.errors.mapping import guard, map_stream_errors
from provider.validation import probe_request


class AtlasCloudLargeLanguageModel(AtlasCloudModel, LargeLanguageModel):
    customizable_schema = staticmethod(customizable_llm_schema)

    def _invoke(
        self,
        model: str,
        credentials: dict,
        prompt_messages: list[PromptMessage],
        model_parameters: dict,
        tools: list[PromptMessageTool] | None = None,
        stop: list[str] | None = None,
        stream: bool = True,
        user: str | None = None,
    ) -> LLMResult | Generator[LLMResultChunk, None, None]:
        with guard(None):
            connection = connection_from_credentials(credentials)
        deadline = Deadline.start(what=connection.label)
        with guard(connection):
            request = self._chat_request(model, credentials, prompt_messages, model_parameters, tools, stop, stream)
            # Looked up before the request goes out: the stream never waits for a schema or a price.
            schema = self.get_model_schema(model, credentials)
            think = think_options(model, credentials, model_parameters, schema)
            make_usage = partial(priced_usage, model, model_prices(model, credentials, schema), self.started_at)

            def estimate(completion_text: str) -> tuple[int, int]:
                return self.get_num_tokens(model, credentials, prompt_messages, tools), count_text(completion_text)

            client = open_client(connection)
            if not stream:
                pieces = fetch_completion(client, request, deadline)
                result = completion_to_result(model, pieces, make_usage, estimate, think)
                return result if isinstance(result, LLMResult) else map_stream_errors(result, connection)
            reader = ChatStream(open_chat(client, request, deadline), deadline)
        chunks = stream_to_chunks(model, reader.batches(), make_usage, estimate, think)
        return map_stream_errors(chunks, connection, on_close=reader.close)

    def _chat_request(
        self,
        model: str,
        credentials: Mapping[str, Any],
        prompt_messages: Sequence[PromptMessage],
        parameters: Mapping[str, Any],
        tools: Sequence[PromptMessageTool] | None,
        stop: list[str] | None,
        stream: bool,
    ) -> dict[str, Any]:
        convert_image = policy = None
        if self._supports(model, credentials, ModelFeature.VISION):
            policy = ImagePolicy.from_config(plugin_settings(model))
        # Documents are read and planned first: their page images share the request's image byte cap.
        schema = self.get_model_schema(model, credentials)
        documents = request_documents(prompt_messages, tools, policy, schema, parameters, sending=True)
        if policy is not None:
            convert_image = partial(to_openai_image, policy=policy, images_in_request=documents.images_in_request)
        replay = demands_reasoning_replay(model, parameters)
        messages = to_openai_messages(prompt_messages, convert_image, replay, documents.convert)
        return build_chat_request(
            model=model,
            messages=messages,
            parameters=parameters,
            tools=to_openai_tools(tools),
            stop=stop,
            stream=stream,
        )

    def get_num_tokens(
        self,
        model: str,
        credentials: dict,
        prompt_messages: list[PromptMessage],
        tools: list[PromptMessageTool] | None = None,
    ) -> int:
        count_image = policy = None  # without vision, images are sent (and counted) as placeholder text
        if self._supports(model, credentials, ModelFeature.VISION):
            policy = ImagePolicy.from_config(plugin_settings(model))
            count_image = partial(estimate_image_tokens, policy=policy)
        schema = self.get_model_schema(model, credentials)
        documents = request_documents(prompt_messages, tools, policy, schema, sending=False)
        return count_prompt_tokens(prompt_messages, tools, count_image, documents.counted)

    def validate_credentials(self, model: str, credentials: Mapping) -> None:
        """A user-added model: check the form, then send one tiny request to that model."""
        try:
            customizable_llm_schema(model, credentials)
            refuse_if_not_ready(model, credentials)  # before the probe: nothing billed for a model that cannot answer
            client = open_client(connection_from_credentials(credentials))
            with_retries(
                Deadline.start(VALIDATION_BUDGET_S),
                lambda timeout: client.call("/chat/completions", probe_request(model), timeout),
            )
        except Exception as error:
            raise validation_failure(error, credentials, f"Model '{model}'") from None

    def _supports(self, model: str, credentials: Mapping[str, Any], feature: ModelFeature) -> bool:
        schema = self.get_model_schema(model, credentials)
        return bool(schema and schema.features and feature in schema.features)
