"""The official `openai` package against Switchyard, with OpenAI and Anthropic upstreams."""

import base64
import json
import struct

import openai
import pytest

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku"])
def test_chat(oai, model):
    r = oai.chat.completions.create(model=model, messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}])
    assert r.choices[0].message.role == "assistant"
    assert "hello there" in r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0
    assert r.model == model


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku"])
def test_streaming_with_usage(oai, model):
    stream = oai.chat.completions.create(model=model, stream=True, stream_options={"include_usage": True},
                                         messages=[{"role": "user", "content": "stream this"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "stream this" in text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku"])
def test_tool_calls(oai, model):
    r = oai.chat.completions.create(model=model, tools=[WEATHER_TOOL],
                                    messages=[{"role": "user", "content": "Paris"}])
    call = r.choices[0].message.tool_calls[0]
    assert r.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    # Send the tool result back.
    r2 = oai.chat.completions.create(model=model, tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "Paris"},
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}])
    assert r2.choices[0].finish_reason == "stop"
    assert r2.choices[0].message.content


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku"])
def test_streaming_tool_calls(oai, model):
    stream = oai.chat.completions.create(model=model, stream=True, tools=[WEATHER_TOOL],
                                         messages=[{"role": "user", "content": "Oslo"}])
    args, name = "", None
    for c in stream:
        for tc in (c.choices[0].delta.tool_calls or []) if c.choices else []:
            name = tc.function.name or name
            args += tc.function.arguments or ""
    assert name == "get_weather"
    assert json.loads(args) == {"city": "Oslo"}


def test_json_mode(oai):
    r = oai.chat.completions.create(model="gpt-4o-mini", response_format={"type": "json_object"},
                                    messages=[{"role": "user", "content": "give json"}])
    assert json.loads(r.choices[0].message.content)["answer"] == "give json"


def test_embeddings(oai):
    r = oai.embeddings.create(model="text-embedding-3-small", input=["one", "two"])
    assert [d.index for d in r.data] == [0, 1]
    assert len(r.data[0].embedding) == 8
    assert r.usage.prompt_tokens > 0
    raw = oai.embeddings.create(model="text-embedding-3-small", input="one", encoding_format="base64")
    vec = raw.data[0].embedding
    if isinstance(vec, str):
        vec = struct.unpack("<8f", base64.b64decode(vec))
    assert len(vec) == 8


def test_images(oai):
    r = oai.images.generate(model="dall-e-3", prompt="a lighthouse", n=1, response_format="b64_json")
    assert base64.b64decode(r.data[0].b64_json).startswith(b"\x89PNG")


def test_models_list(oai):
    ids = {m.id for m in oai.models.list()}
    assert {"gpt-4o-mini", "claude-haiku", "text-embedding-3-small"} <= ids


def test_errors_are_the_sdks_own_types(gateway, oai):
    bad = openai.OpenAI(base_url=gateway["base"] + "/v1", api_key="sy-wrong-key-123456", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.RateLimitError) as e:
        oai.chat.completions.create(model="gpt-rate-limited", messages=[{"role": "user", "content": "x"}])
    assert e.value.response.headers.get("retry-after")
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "wizard", "content": "x"}])
