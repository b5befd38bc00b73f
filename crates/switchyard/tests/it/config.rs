//! Integration tests of `switchyard::config`: layering, the documented sample, error reporting, schema.

use std::collections::HashMap;
use std::path::PathBuf;

use switchyard::config::*;
use switchyard_types::{Capability, GroupStrategy, ModelKind, ProviderKind, TaskType};

/// An environment holding exactly `vars`.
fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn errors(toml: &str, env: &dyn Fn(&str) -> Option<String>) -> ConfigErrors {
    match load_str(toml, env) {
        Ok(_) => panic!("expected problems for:\n{toml}"),
        Err(e) => e,
    }
}

const KEY32: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn no_file_and_no_env_gives_defaults_and_the_mock_catalog() {
    let config = load(None, &no_env).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(load_str("", &no_env).unwrap(), config);

    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert_eq!(config.server.listen_addr().unwrap().port(), 8080);
    assert_eq!(config.server.request_body_limit_bytes, 10_485_760);
    assert_eq!(config.server.request_timeout_ms, 600_000);
    assert_eq!(config.server.shutdown_grace_ms, 30_000);
    assert_eq!(config.server.data_dir, "switchyard-data");
    assert_eq!(config.database.url, "sqlite://switchyard.db");
    assert_eq!(config.database.max_connections, 16);
    assert!(config.redis.is_none());
    assert_eq!(config.log.filter, "info");
    assert_eq!(config.log.format, LogFormat::Auto);
    assert!(config.security.admin_key.is_none() && config.security.master_key.is_none());

    assert_eq!(config.providers.len(), 1);
    let mock = &config.providers[0];
    assert_eq!(
        (mock.name.as_str(), mock.kind),
        ("mock", ProviderKind::Mock)
    );
    assert!(mock.api_key_source().is_none());
    let names: Vec<&str> = config.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["mock-chat", "mock-embed", "mock-image", "mock-video"]
    );
    assert!(config.models.iter().all(|m| m.provider == "mock"));
    assert!(config.groups.is_empty());

    let chat = &config.models[0];
    assert_eq!(chat.kinds, [ModelKind::Chat]);
    for cap in [
        Capability::Stream,
        Capability::Tools,
        Capability::Vision,
        Capability::JsonMode,
    ] {
        assert!(chat.capabilities.contains(&cap), "{cap}");
    }
    assert!(chat.task_types.contains(&TaskType::Summarization));
    assert!(!chat.task_types.contains(&TaskType::Embedding));
    assert_eq!(chat.task_types.len(), 9);
    assert_eq!(
        (chat.context_window, chat.max_output_tokens),
        (128_000, 4096)
    );
    assert_eq!(chat.pricing(), switchyard_types::Pricing::default());
    assert_eq!(chat.quality_tier, 5);
    assert_eq!(config.models[1].kinds, [ModelKind::Embedding]);
    assert_eq!(config.models[1].task_types, [TaskType::Embedding]);
    assert_eq!(config.models[2].task_types, [TaskType::ImageGeneration]);
    assert_eq!(config.models[3].task_types, [TaskType::VideoGeneration]);
}

#[test]
fn file_overrides_defaults_and_environment_overrides_file() {
    let file = r#"
        [server]
        listen = "0.0.0.0:9000"
        request_timeout_ms = 5000
        [database]
        url = "postgres://sy:pw@db:5432/sy"
        [log]
        filter = "switchyard=debug"
        format = "pretty"
    "#;
    let config = load_str(file, &no_env).unwrap();
    assert_eq!(config.server.listen, "0.0.0.0:9000");
    assert_eq!(config.server.request_timeout_ms, 5000);
    assert_eq!(config.server.request_body_limit_bytes, 10_485_760);
    assert_eq!(config.database.url, "postgres://sy:pw@db:5432/sy");
    assert_eq!(config.log.format, LogFormat::Pretty);
    // No providers, models or groups in the file: the mock catalog stays.
    assert_eq!(config.models.len(), 4);

    let env = env_of(&[
        ("SWITCHYARD_LISTEN", "127.0.0.1:7000"),
        ("SWITCHYARD_REDIS_URL", "redis://cache:6379/0"),
        ("SWITCHYARD_LOG_FORMAT", "json"),
        ("SWITCHYARD_LOG", "warn"),
        ("SWITCHYARD_ADMIN_KEY", "sk-admin-0123456789abcdef"),
        ("SWITCHYARD_MASTER_KEY", KEY32),
        ("SWITCHYARD_DATABASE_URL", ""), // empty counts as unset
    ]);
    let config = load_str(file, &env).unwrap();
    assert_eq!(config.server.listen_addr().unwrap().port(), 7000);
    assert_eq!(config.server.request_timeout_ms, 5000);
    assert_eq!(config.database.url, "postgres://sy:pw@db:5432/sy");
    assert_eq!(config.redis.unwrap().url, "redis://cache:6379/0");
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.log.filter, "warn");
    let admin = config.security.admin_key.clone().unwrap();
    assert_eq!(admin.expose(), "sk-admin-0123456789abcdef");
    let key = config.security.master_key_bytes().unwrap();
    assert_eq!(key.expose()[31], 31);
}

#[test]
fn a_file_with_a_catalog_replaces_the_mock_catalog() {
    let file = r#"
        [[providers]]
        name = "local"
        kind = "openai_compatible"
    "#;
    let config = load_str(file, &no_env).unwrap();
    assert_eq!(config.providers.len(), 1);
    assert_eq!(
        config.providers[0].effective_base_url(),
        "http://127.0.0.1:11434/v1"
    );
    assert!(config.models.is_empty() && config.groups.is_empty());
}

#[test]
fn the_spec_sample_loads() {
    let file = include_str!("../data/spec_sample.toml");
    let config = load_str(file, &env_of(&[("OPENAI_API_KEY", "sk-test")])).unwrap();
    assert_eq!(config.redis.as_ref().unwrap().url, "redis://127.0.0.1:6379");
    let openai = &config.providers[0];
    assert_eq!(
        openai.api_key_source(),
        Some(ApiKeySource::Env("OPENAI_API_KEY".into()))
    );
    assert_eq!(
        openai.resolved_api_key.as_ref().unwrap().expose(),
        "sk-test"
    );
    let model = &config.models[0];
    assert_eq!(model.kinds, [ModelKind::Chat, ModelKind::Embedding]);
    assert_eq!(model.pricing().output_cost_per_mtok, 0.60);
    assert_eq!(model.quality_tier, 2);
    let group = &config.groups[0];
    assert_eq!(group.strategy, GroupStrategy::WeightedRoundRobin);
    assert_eq!((group.members[0].weight, group.members[1].priority), (3, 1));
    assert_eq!(group.fallback_groups, ["chat-backup"]);
    assert_eq!(config.groups[1].strategy, GroupStrategy::Priority);
    assert_eq!(config.groups[1].max_attempts, 3);
    assert_eq!(
        config.models[1].effective_upstream_name(),
        "claude-3-5-haiku-latest"
    );
    assert_eq!(config.models[1].context_window, 8192);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let file = include_str!("../data/problems.toml");
    let err = errors(file, &no_env);
    let mut paths = err.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "groups[0].fallback_groups[0]",
            "groups[0].fallback_groups[1]",
            "groups[0].max_attempts",
            "groups[0].members[0].model",
            "groups[0].members[2].weight",
            "models[1].context_window",
            "models[2].input_cost_per_mtok",
            "models[2].name",
            "models[2].provider",
            "models[2].quality_tier",
            "providers[0].api_kee",
            "providers[1].base_url",
            "providers[1].name",
            "server.listen",
        ],
        "{err}"
    );
    assert_eq!(
        err.at("providers[0].api_kee").unwrap().message,
        "unknown key"
    );
    let type_error = &err.at("models[1].context_window").unwrap().message;
    assert!(type_error.starts_with("invalid type"), "{type_error}");
    assert!(
        err.at("providers[1].name")
            .unwrap()
            .message
            .contains("duplicate")
    );
    assert!(
        err.at("models[2].provider")
            .unwrap()
            .message
            .contains("`nope`")
    );
    // One `path: message` per line.
    let text = err.to_string();
    assert_eq!(text.lines().count(), err.problems().len());
    assert!(
        text.lines()
            .any(|l| l == "providers[0].api_kee: unknown key"),
        "{text}"
    );
}

#[test]
fn unknown_keys_are_all_reported_at_every_level() {
    let file = r#"
        colour = "blue"
        [server]
        listne = "x"
        [log]
        fromat = "json"
        [[providers]]
        name = "p"
        kind = "mock"
        foo = 1
        options = { anything = "goes" }
        [[groups]]
        name = "g"
        members = [{ model = "m", wieght = 2 }]
    "#;
    let err = errors(file, &no_env);
    let mut paths = err.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "colour",
            "groups[0].members[0].wieght",
            "log.fromat",
            "providers[0].foo",
            "server.listne"
        ],
        "{err}"
    );
}

#[test]
fn type_errors_missing_keys_and_bad_enum_names_have_paths() {
    let file = r#"
        [[providers]]
        kind = "gpt"
        [[providers]]
        name = "ok"
        kind = "mock"
        timeout_ms = 0
        [[models]]
        name = "m"
        provider = "ok"
        kinds = ["audio"]
        [[groups]]
        name = "g"
        strategy = "fastest"
        members = [{ model = "m" }]
    "#;
    let err = errors(file, &no_env);
    let mut paths = err.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "groups[0].strategy",
            "models[0].kinds[0]",
            "providers[0].kind",
            "providers[1].timeout_ms"
        ],
        "{err}"
    );
    assert!(
        err.at("groups[0].strategy")
            .unwrap()
            .message
            .contains("least_busy")
    );
}

#[test]
fn a_syntax_error_is_one_problem_with_line_and_column() {
    let err = errors("[server]\nlisten = \"127.0.0.1:80\n", &no_env);
    assert_eq!(err.problems().len(), 1, "{err}");
    assert!(
        err.problems()[0].path.starts_with("line 2, column"),
        "{err}"
    );
}

#[test]
fn names_and_references_are_checked() {
    let file = include_str!("../data/bad_names.toml");
    let err = errors(file, &no_env);
    let mut paths = err.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "groups[0].members[1].model",
            "groups[0].name",
            "groups[1].members[0].model",
            "groups[2].name",
            "models[1].name",
            "models[2].task_types[0]",
            "models[3].max_output_tokens",
            "providers[0].name",
        ],
        "{err}"
    );
}

#[test]
fn bad_settings_are_reported_at_their_origin() {
    let file = r#"
        [server]
        listen = "nowhere"
        [database]
        url = "mysql://db"
        [redis]
        url = "http://cache"
        [security]
        admin_key = "short"
        master_key = "not base64!"
    "#;
    let err = errors(file, &no_env);
    let mut paths = err.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "database.url",
            "redis.url",
            "security.admin_key",
            "security.master_key",
            "server.listen"
        ],
        "{err}"
    );

    let env = env_of(&[
        ("SWITCHYARD_LISTEN", "nowhere"),
        ("SWITCHYARD_DATABASE_URL", "mysql://db"),
        ("SWITCHYARD_REDIS_URL", "cache:6379"),
        ("SWITCHYARD_ADMIN_KEY", "short"),
        ("SWITCHYARD_MASTER_KEY", "eHh4eHh4eHh4eHh4eHh4eA=="), // 16 bytes
        ("SWITCHYARD_LOG", "info,=[{"),
        ("SWITCHYARD_LOG_FORMAT", "xml"),
    ]);
    let err = errors("", &env);
    let mut paths = err.paths();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "SWITCHYARD_ADMIN_KEY",
            "SWITCHYARD_DATABASE_URL",
            "SWITCHYARD_LISTEN",
            "SWITCHYARD_LOG",
            "SWITCHYARD_LOG_FORMAT",
            "SWITCHYARD_MASTER_KEY",
            "SWITCHYARD_REDIS_URL",
        ],
        "{err}"
    );
    let master = &err.at("SWITCHYARD_MASTER_KEY").unwrap().message;
    assert!(
        master.contains("32 bytes") && master.contains("16"),
        "{master}"
    );
}

#[test]
fn master_and_admin_keys_accept_env_references() {
    let file = r#"
        [security]
        admin_key = "env:MY_ADMIN"
        master_key = "env:MY_MASTER"
    "#;
    let env = env_of(&[("MY_ADMIN", "0123456789abcdef"), ("MY_MASTER", KEY32)]);
    let config = load_str(file, &env).unwrap();
    assert_eq!(
        config.security.admin_key.as_ref().unwrap().expose(),
        "0123456789abcdef"
    );
    assert_eq!(config.security.master_key.as_ref().unwrap().expose(), KEY32);
    assert!(config.security.master_key_bytes().is_some());

    let err = errors(file, &no_env);
    assert_eq!(
        err.paths(),
        ["security.admin_key", "security.master_key"],
        "{err}"
    );
    assert!(err.problems()[1].message.contains("MY_MASTER"));
}

#[test]
fn provider_api_keys_resolve_env_references_and_keep_the_reference() {
    let file = r#"
        [[providers]]
        name = "a"
        kind = "openai"
        api_key = "env:A_KEY"
        [[providers]]
        name = "b"
        kind = "anthropic"
        api_key = "sk-literal"
        [[providers]]
        name = "c"
        kind = "copilot"
        api_key = "env:C_TOKEN"
        enabled = false
        [[providers]]
        name = "d"
        kind = "gemini"
    "#;
    let config = load_str(file, &env_of(&[("A_KEY", "sk-from-env")])).unwrap();
    let [a, b, c, d] = &config.providers[..] else {
        panic!("four providers")
    };
    assert_eq!(a.api_key_source(), Some(ApiKeySource::Env("A_KEY".into())));
    assert_eq!(a.api_key.as_ref().unwrap().expose(), "env:A_KEY");
    assert_eq!(a.resolved_api_key.as_ref().unwrap().expose(), "sk-from-env");
    assert_eq!(
        b.api_key_source(),
        Some(ApiKeySource::Literal("sk-literal".to_string().into()))
    );
    assert_eq!(b.resolved_api_key.as_ref().unwrap().expose(), "sk-literal");
    assert!(
        c.resolved_api_key.is_none(),
        "disabled: its variable may be unset"
    );
    assert!(d.api_key_source().is_none() && d.resolved_api_key.is_none());
    // Secrets never show in Debug output.
    assert!(!format!("{config:?}").contains("sk-from-env"));

    let err = errors(file, &no_env);
    assert_eq!(err.paths(), ["providers[0].api_key"], "{err}");
    assert!(err.problems()[0].message.contains("A_KEY"));

    let bad = "[[providers]]\nname = \"a\"\nkind = \"openai\"\napi_key = \"env:\"\n";
    assert_eq!(errors(bad, &no_env).paths(), ["providers[0].api_key"]);
}

#[test]
fn task_types_default_from_kinds() {
    let file = r#"
        [[providers]]
        name = "p"
        kind = "mock"
        [[models]]
        name = "e"
        provider = "p"
        kinds = ["embedding"]
        [[models]]
        name = "v"
        provider = "p"
        kinds = ["image", "video"]
        [[models]]
        name = "c"
        provider = "p"
    "#;
    let config = load_str(file, &no_env).unwrap();
    assert_eq!(config.models[0].task_types, [TaskType::Embedding]);
    assert_eq!(
        config.models[1].task_types,
        [TaskType::ImageGeneration, TaskType::VideoGeneration]
    );
    assert_eq!(config.models[2].task_types, [TaskType::Chat]);
}

#[test]
fn config_file_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sy.toml");
    std::fs::write(&path, "[server]\nlisten = \"127.0.0.1:9999\"\n").unwrap();
    let path_str = path.to_str().unwrap().to_string();

    let config = load(Some(&path), &no_env).unwrap();
    assert_eq!(config.server.listen, "127.0.0.1:9999");
    let via_env = load(None, &env_of(&[("SWITCHYARD_CONFIG", &path_str)])).unwrap();
    assert_eq!(via_env, config);
    assert_eq!(
        config_path(None, &env_of(&[("SWITCHYARD_CONFIG", &path_str)])),
        Some(path.clone())
    );

    let missing = dir.path().join("missing.toml");
    let err = load(Some(&missing), &no_env).unwrap_err();
    assert_eq!(err.paths(), [missing.display().to_string()]);
    let err = load(
        None,
        &env_of(&[("SWITCHYARD_CONFIG", "/nonexistent/sy.toml")]),
    )
    .unwrap_err();
    assert_eq!(err.paths(), ["SWITCHYARD_CONFIG"]);
}

#[test]
fn schema_describes_the_file() {
    let schema = json_schema();
    assert_eq!(schema["additionalProperties"], false);
    let item_ref = schema["properties"]["providers"]["items"]["$ref"]
        .as_str()
        .unwrap();
    let name = item_ref.strip_prefix("#/$defs/").unwrap();
    let provider = &schema["$defs"][name];
    assert_eq!(provider["additionalProperties"], false);
    assert_eq!(provider["properties"]["timeout_ms"]["default"], 60000);
    assert!(provider["properties"].get("resolved_api_key").is_none());
    let kind_ref = provider["properties"]["kind"]["$ref"].as_str().unwrap();
    let kinds = &schema["$defs"][kind_ref.strip_prefix("#/$defs/").unwrap()]["enum"];
    let expected: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(*kinds, serde_json::json!(expected));
    for def in [
        "ModelConfig",
        "GroupConfig",
        "ServerConfig",
        "SecurityConfig",
    ] {
        assert_eq!(schema["$defs"][def]["additionalProperties"], false, "{def}");
    }
    assert_eq!(
        schema["$defs"]["ServerConfig"]["properties"]["listen"]["default"],
        "127.0.0.1:8080"
    );
    assert_eq!(
        schema["$defs"]["ModelConfig"]["properties"]["kinds"]["default"],
        serde_json::json!(["chat"])
    );
    let desc = schema["$defs"]["ModelConfig"]["properties"]["quality_tier"]["description"].as_str();
    assert!(desc.unwrap().contains("cheapest"));
}

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/switchyard.toml")
}

#[test]
fn the_example_config_checks_out() {
    let env = env_of(&[
        ("OPENAI_API_KEY", "sk-openai"),
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("GEMINI_API_KEY", "gm"),
        ("HF_TOKEN", "hf_x"),
        ("GROQ_API_KEY", "gsk_x"),
        ("RUNWAYML_API_SECRET", "rw"),
    ]);
    let config = load(Some(&example_path()), &env).unwrap();
    let kinds: std::collections::HashSet<ProviderKind> =
        config.providers.iter().map(|p| p.kind).collect();
    assert!(kinds.len() >= 6, "{kinds:?}");
    assert!(
        config
            .models
            .iter()
            .filter(|m| m.name == "llama-3.1-8b")
            .count()
            == 2
    );
    assert!(config.groups.iter().any(|g| g.name == "chat-default"));
    // Every env-keyed provider but the disabled one is required.
    let err = load(Some(&example_path()), &no_env).unwrap_err();
    assert_eq!(err.problems().len(), 6, "{err}");
    assert!(err.problems().iter().all(|p| p.path.ends_with(".api_key")));
}
