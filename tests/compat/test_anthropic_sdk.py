"""The official `anthropic` package against Switchyard's /v1/messages, with Anthropic and
OpenAI upstreams — the way a coding agent uses it."""

import anthropic
import pytest

WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.mark.parametrize("model", ["claude-haiku", "gpt-4o-mini"])
def test_messages(claude, model):
    r = claude.messages.create(model=model, max_tokens=256, system="Be brief.",
                               messages=[{"role": "user", "content": "hello claude"}])
    assert r.type == "message" and r.role == "assistant"
    assert "hello claude" in r.content[0].text
    assert r.stop_reason == "end_turn"
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0


@pytest.mark.parametrize("model", ["claude-haiku", "gpt-4o-mini"])
def test_streaming_text(claude, model):
    with claude.messages.stream(model=model, max_tokens=256,
                                messages=[{"role": "user", "content": "stream it"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "stream it" in text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", ["claude-haiku", "gpt-4o-mini"])
def test_streaming_tool_use_as_agents_do(claude, model):
    with claude.messages.stream(model=model, max_tokens=256, tools=[WEATHER],
                                messages=[{"role": "user", "content": "Lima"}]) as stream:
        final = stream.get_final_message()
    tool = next(b for b in final.content if b.type == "tool_use")
    assert final.stop_reason == "tool_use"
    assert tool.name == "get_weather"
    assert tool.input == {"city": "Lima"}
    r = claude.messages.create(model=model, max_tokens=256, tools=[WEATHER], messages=[
        {"role": "user", "content": "Lima"},
        {"role": "assistant", "content": [b.model_dump() for b in final.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "20C"}]}])
    assert r.stop_reason == "end_turn"


def test_errors_are_the_sdks_own_types(gateway, claude):
    bad = anthropic.Anthropic(base_url=gateway["base"], api_key="sy-wrong-key-123456", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="claude-haiku", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.create(model="nope", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.BadRequestError) as e:
        # The SDK insists on max_tokens, so send the bad body through its low-level client.
        claude.post("/v1/messages", cast_to=object,
                    body={"model": "claude-haiku", "messages": [{"role": "user", "content": "x"}]})
    assert "max_tokens" in str(e.value)
    with pytest.raises(anthropic.InternalServerError):
        claude.messages.create(model="claude-overloaded", max_tokens=10, messages=[{"role": "user", "content": "x"}])
