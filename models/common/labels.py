"""The label and help of every model parameter the plugin offers, in every language it ships.

One source for the predefined model YAMLs (tools/build_catalog.py writes these texts into them)
and for the schema of user-added models (models/llm/schema.py), so a parameter reads the same
either way. Plain data, no SDK import: the catalog builder runs without the plugin runtime.

Why explicit texts even for the SDK's standard parameters: dify_plugin's PARAMETER_RULE_TEMPLATE
(entities/model/schema.py) has en_US and zh_Hans only, and I18nObject fills a missing ja_JP with
the English text, so a rule that relies on the template shows English to Japanese users. A
rule's own `label`/`help` replace the template's whole (a shallow dict update). The zh_Hans
texts are the template's own wording wherever our English matches the template's.
"""

from __future__ import annotations

LANGUAGES = ("en_US", "zh_Hans", "ja_JP")

Texts = dict[str, str]

_PARAMETERS: dict[str, dict[str, Texts]] = {
    "temperature": {
        "label": {"en_US": "Temperature", "zh_Hans": "温度", "ja_JP": "温度"},
        "help": {
            "en_US": "Controls randomness. Lower temperature results in less random completions. As the "
            "temperature approaches zero, the model will become deterministic and repetitive. Higher "
            "temperature results in more random completions.",
            "zh_Hans": "温度控制随机性。较低的温度会导致较少的随机完成。随着温度接近零，模型将变得确定性和重复性。"
            "较高的温度会导致更多的随机完成。",
            "ja_JP": "出力のランダム性を調整します。値を下げるほど出力のばらつきが減り、0 に近づくとモデルは決定的で"
            "繰り返しの多い出力になります。値を上げるほど出力はランダムになります。",
        },
    },
    "top_p": {
        "label": {"en_US": "Top P", "zh_Hans": "Top P", "ja_JP": "Top P"},
        "help": {
            "en_US": "Controls diversity via nucleus sampling: 0.5 means half of all likelihood-weighted "
            "options are considered.",
            "zh_Hans": "通过核心采样控制多样性：0.5表示考虑了一半的所有可能性加权选项。",
            "ja_JP": "核サンプリング（nucleus sampling）で多様性を調整します。0.5 の場合、確率の高い候補から"
            "累積確率 50% までだけを考慮します。",
        },
    },
    "max_tokens": {
        "label": {"en_US": "Max Tokens", "zh_Hans": "最大标记", "ja_JP": "最大トークン数"},
        "help": {
            "en_US": "Specifies the upper limit on the length of generated results. If the generated results "
            "are truncated, you can increase this parameter.",
            "zh_Hans": "指定生成结果长度的上限。如果生成结果截断，可以调大该参数。",
            "ja_JP": "生成される結果の長さの上限を指定します。結果が途中で切れる場合は、この値を大きくしてください。",
        },
    },
    "presence_penalty": {
        "label": {"en_US": "Presence Penalty", "zh_Hans": "存在惩罚", "ja_JP": "存在ペナルティ"},
        "help": {
            "en_US": "Applies a penalty to the log-probability of tokens already in the text.",
            "zh_Hans": "对文本中已有的标记的对数概率施加惩罚。",
            "ja_JP": "テキストにすでに現れたトークンの対数確率にペナルティを課します。",
        },
    },
    "frequency_penalty": {
        "label": {"en_US": "Frequency Penalty", "zh_Hans": "频率惩罚", "ja_JP": "頻度ペナルティ"},
        "help": {
            "en_US": "Applies a penalty to the log-probability of tokens that appear in the text.",
            "zh_Hans": "对文本中出现的标记的对数概率施加惩罚。",
            "ja_JP": "テキストに現れたトークンの対数確率に、出現回数に応じたペナルティを課します。",
        },
    },
    # The template's help speaks of JSON/XML options we do not offer, so these two have their own.
    "response_format": {
        "label": {"en_US": "Response Format", "zh_Hans": "回复格式", "ja_JP": "応答形式"},
        "help": {
            "en_US": "text: a plain answer; json_object: any valid JSON object; json_schema: JSON that follows "
            "the JSON Schema parameter.",
            "zh_Hans": "text：普通文本回复；json_object：任意合法的 JSON 对象；"
            "json_schema：符合 JSON Schema 参数的 JSON。",
            "ja_JP": "text：通常のテキストで回答。json_object：有効な JSON オブジェクトで回答。"
            "json_schema：JSON Schema パラメータに従う JSON で回答。",
        },
    },
    "json_schema": {
        "label": {"en_US": "JSON Schema", "zh_Hans": "JSON Schema", "ja_JP": "JSON Schema"},
        "help": {
            "en_US": "The JSON Schema the answer must follow (ignored when the response format is text or "
            "json_object).",
            "zh_Hans": "回复必须遵循的 JSON Schema（回复格式为 text 或 json_object 时不生效）。",
            "ja_JP": "回答が従うべき JSON Schema（応答形式が text または json_object の場合は使われません）。",
        },
    },
    "thinking": {
        "label": {"en_US": "Thinking", "zh_Hans": "深度思考", "ja_JP": "思考モード"},
        "help": {
            "en_US": "Switch the model's reasoning on or off (sent as thinking.type).",
            "zh_Hans": "开启或关闭模型的推理（以 thinking.type 发送）。",
            "ja_JP": "モデルの推論をオン／オフします（thinking.type として送信）。",
        },
    },
    "reasoning_effort": {
        "label": {"en_US": "Reasoning Effort", "zh_Hans": "推理强度", "ja_JP": "推論の強度"},
        "help": {
            "en_US": "How much the model reasons before answering; 'none' switches reasoning off.",
            "zh_Hans": "模型回答前推理的程度；none 表示关闭推理。",
            "ja_JP": "回答前にモデルがどれだけ推論するか。none で推論をオフにします。",
        },
    },
}

PARAMETER_NAMES = tuple(_PARAMETERS)


def parameter_label(name: str) -> Texts:
    """A fresh copy (the YAML dumper would alias a dict it meets twice)."""
    return dict(_PARAMETERS[name]["label"])


def parameter_help(name: str) -> Texts:
    return dict(_PARAMETERS[name]["help"])


def same_in_every_language(text: str) -> Texts:
    """For names that are not translated: model names and ids."""
    return dict.fromkeys(LANGUAGES, text)
