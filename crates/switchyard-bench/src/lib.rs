//! Load-test tools for `bench/run.sh`: a fast mock OpenAI upstream and a probe that
//! measures a stream's time to first chunk. Not part of the gateway.
