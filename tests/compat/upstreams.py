"""Mock upstream providers for the compatibility suite.

Each server speaks its provider's real wire format (status codes, JSON bodies, SSE
event sequences, headers) closely enough that the gateway's adapters cannot tell the
difference. Replies are deterministic functions of the request.
"""

import base64
import json
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPENAI_KEY = "sk-test-upstream-openai"
ANTHROPIC_KEY = "sk-ant-test-upstream"


def last_user_text(messages):
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c if p.get("type") == "text")
    return ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def body(self):
        n = int(self.headers.get("content-length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, data, event=None):
        out = ""
        if event:
            out += f"event: {event}\n"
        out += f"data: {data}\n\n"
        self.wfile.write(out.encode())
        self.wfile.flush()


class OpenAIHandler(Handler):
    """Chat Completions (+stream), Embeddings, Images and Models, as api.openai.com."""

    def error(self, status, message, type_, code, headers=None):
        self.send_json(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, headers)

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self.send_json(200, {"object": "list", "data": [
                {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"}]})
        else:
            self.error(404, "Unknown path", "invalid_request_error", None)

    def do_POST(self):
        if self.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            return self.error(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
        req = self.body()
        if self.path == "/v1/chat/completions":
            return self.chat(req)
        if self.path == "/v1/embeddings":
            return self.embeddings(req)
        if self.path == "/v1/images/generations":
            return self.images(req)
        self.error(404, f"Unknown path {self.path}", "invalid_request_error", None)

    def chat(self, req):
        model = req.get("model", "")
        if model == "gpt-rate-limited":
            return self.error(429, "Rate limit reached for gpt-rate-limited on requests per min (RPM): Limit 3.",
                              "requests", "rate_limit_exceeded", {"retry-after": "2", "x-ratelimit-remaining-requests": "0"})
        messages = req.get("messages", [])
        text = last_user_text(messages)
        tools = req.get("tools") or []
        fmt = (req.get("response_format") or {}).get("type")
        prompt_tokens = max(1, sum(len(json.dumps(m)) for m in messages) // 4)
        tool_call = None
        if tools and req.get("tool_choice") != "none" and messages and messages[-1].get("role") == "user":
            fn = tools[0]["function"]
            props = (fn.get("parameters") or {}).get("properties", {})
            args = {k: (text if v.get("type") == "string" else 1) for k, v in props.items()}
            tool_call = {"id": "call_abc123", "type": "function", "function": {"name": fn["name"], "arguments": json.dumps(args)}}
        if messages and messages[-1].get("role") == "tool":
            content = f"The tool said: {messages[-1].get('content')}"
        elif fmt in ("json_object", "json_schema"):
            content = json.dumps({"answer": text})
        else:
            content = f"Hello from mock-openai: {text}"
        completion_tokens = max(1, len(content) // 4)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens,
                 "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                               "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
        base = {"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "created": int(time.time()), "model": model,
                "system_fingerprint": "fp_44709d6fcb", "service_tier": "default"}
        if not req.get("stream"):
            message = {"role": "assistant", "content": None if tool_call else content, "refusal": None, "annotations": []}
            if tool_call:
                message["tool_calls"] = [tool_call]
            return self.send_json(200, {**base, "object": "chat.completion", "choices": [{
                "index": 0, "message": message, "logprobs": None,
                "finish_reason": "tool_calls" if tool_call else "stop"}], "usage": usage})
        include_usage = (req.get("stream_options") or {}).get("include_usage")
        self.start_sse()

        def chunk(delta, finish=None):
            c = {**base, "object": "chat.completion.chunk",
                 "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
            if include_usage:
                c["usage"] = None
            self.sse(json.dumps(c))

        chunk({"role": "assistant", "content": "", "refusal": None})
        if tool_call:
            chunk({"tool_calls": [{"index": 0, "id": tool_call["id"], "type": "function",
                                   "function": {"name": tool_call["function"]["name"], "arguments": ""}}]})
            args = tool_call["function"]["arguments"]
            for i in range(0, len(args), 7):
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[i:i + 7]}}]})
            chunk({}, "tool_calls")
        else:
            for word in content.split(" "):
                chunk({"content": word + " "} if word != content.split(" ")[-1] else {"content": word})
            chunk({}, "stop")
        if include_usage:
            self.sse(json.dumps({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}))
        self.sse("[DONE]")

    def embeddings(self, req):
        inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
        data = []
        for i, text in enumerate(inputs):
            vec = [((hash(text) >> (j * 4)) % 100) / 100.0 for j in range(8)]
            if req.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack("<8f", *vec)).decode()
            else:
                emb = vec
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(max(1, len(t) // 4) for t in inputs)
        self.send_json(200, {"object": "list", "data": data, "model": req.get("model"),
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def images(self, req):
        n = req.get("n") or 1
        png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        if req.get("response_format") == "b64_json":
            data = [{"b64_json": png, "revised_prompt": req["prompt"]} for _ in range(n)]
        else:
            data = [{"url": "https://example.invalid/img-1.png", "revised_prompt": req["prompt"]} for _ in range(n)]
        self.send_json(200, {"created": int(time.time()), "data": data})


class AnthropicHandler(Handler):
    """The Messages API (+stream with the real event sequence), as api.anthropic.com."""

    def error(self, status, type_, message, headers=None):
        self.send_json(status, {"type": "error", "error": {"type": type_, "message": message}}, headers)

    def do_POST(self):
        if self.headers.get("x-api-key") != ANTHROPIC_KEY:
            return self.error(401, "authentication_error", "invalid x-api-key")
        if not self.headers.get("anthropic-version"):
            return self.error(400, "invalid_request_error", "anthropic-version header is required")
        if self.path != "/v1/messages":
            return self.error(404, "not_found_error", f"Unknown path {self.path}")
        req = self.body()
        if "max_tokens" not in req:
            return self.error(400, "invalid_request_error", "max_tokens: Field required")
        if req.get("model") == "claude-overloaded":
            return self.error(529, "overloaded_error", "Overloaded")
        messages = req.get("messages", [])
        text = last_user_text(messages)
        tools = req.get("tools") or []
        last = messages[-1] if messages else {}
        last_is_tool_result = isinstance(last.get("content"), list) and any(
            b.get("type") == "tool_result" for b in last["content"])
        tool = tools[0] if tools and not last_is_tool_result and (req.get("tool_choice") or {}).get("type") != "none" else None
        reply = "The tool result is in." if last_is_tool_result else f"Hello from mock-anthropic: {text}"
        input_tokens = max(1, len(json.dumps(messages)) // 4)
        msg_id = "msg_01XFDUDYJgAACzvnptvVoYEL"
        if tool:
            props = (tool.get("input_schema") or {}).get("properties", {})
            tool_input = {k: (text if v.get("type") == "string" else 1) for k, v in props.items()}
            content = [{"type": "text", "text": "Let me check."},
                       {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": tool["name"], "input": tool_input}]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": reply}]
            stop = "end_turn"
        output_tokens = max(1, len(json.dumps(content)) // 4)
        usage = {"input_tokens": input_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                 "output_tokens": output_tokens, "service_tier": "standard"}
        if not req.get("stream"):
            return self.send_json(200, {"id": msg_id, "type": "message", "role": "assistant", "model": req["model"],
                                        "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage})
        self.start_sse()
        start_usage = dict(usage, output_tokens=1)
        self.sse(json.dumps({"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": req["model"], "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": start_usage}}), "message_start")
        for i, block in enumerate(content):
            if block["type"] == "text":
                self.sse(json.dumps({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}), "content_block_start")
                self.sse(json.dumps({"type": "ping"}), "ping")
                words = block["text"].split(" ")
                for j, w in enumerate(words):
                    piece = w + (" " if j < len(words) - 1 else "")
                    self.sse(json.dumps({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": piece}}), "content_block_delta")
            else:
                self.sse(json.dumps({"type": "content_block_start", "index": i, "content_block": {
                    "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}), "content_block_start")
                raw = json.dumps(block["input"])
                self.sse(json.dumps({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": ""}}), "content_block_delta")
                for k in range(0, len(raw), 5):
                    self.sse(json.dumps({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": raw[k:k + 5]}}), "content_block_delta")
            self.sse(json.dumps({"type": "content_block_stop", "index": i}), "content_block_stop")
        self.sse(json.dumps({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                             "usage": {"output_tokens": output_tokens}}), "message_delta")
        self.sse(json.dumps({"type": "message_stop"}), "message_stop")


def start(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
