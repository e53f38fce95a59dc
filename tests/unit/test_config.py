from __future__ import annotations

from pathlib import Path

import pytest

from kitchen import config
from kitchen.errors import ConfigError, ExitCode

EXAMPLE = Path(__file__).parents[2] / "kitchen.example.yaml"
SOURCE = Path("kitchen.yaml")

VALID = """\
project: shop
environments:
  dev:
    warehouse: {type: duckdb, path: dev.duckdb}
    secrets: {type: file, path: dev.yaml}
    artifacts: {type: local, path: artifacts}
kitchens:
  dev: {environment: dev, branch: develop}
"""


def error_for(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        config.parse(text, SOURCE)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    return caught.value


def test_example_is_a_complete_loadable_team_setup() -> None:
    loaded = config.load(EXAMPLE)
    production = loaded.environments["production"]
    assert isinstance(production.warehouse, config.PostgresWarehouse)
    assert isinstance(production.secrets, config.VaultSecrets)
    assert isinstance(production.artifacts, config.S3Artifacts)
    assert production.sensitive
    assert loaded.kitchens["dev"].parent == "production"
    assert loaded.kitchens["production"].protected
    assert loaded.root_schema("production") == "analytics"


def test_minimal_config_gets_defaults() -> None:
    loaded = config.parse(VALID, SOURCE)
    assert loaded.git.branch_prefix == "kitchen/"
    assert loaded.root_schema("dev") == "dev"
    assert loaded.data.unmasked_pii == "fail"


def test_unknown_key_is_named_with_its_line() -> None:
    error = error_for(VALID.replace("kitchens:", "kitchenz: {}\nkitchens:"))
    assert "kitchen.yaml:7: kitchenz: unknown key" in error.message
    assert error.hint and "unknown keys" in error.hint


def test_nested_unknown_key_has_its_full_path() -> None:
    error = error_for(VALID.replace("path: dev.duckdb", "path: dev.duckdb, colour: red"))
    assert "environments.dev.warehouse.colour: unknown key" in error.message


def test_unknown_backend_type_lists_the_choices() -> None:
    error = error_for(VALID.replace("type: duckdb", "type: mysql"))
    assert "kitchen.yaml:4: environments.dev.warehouse: type must be one of" in error.message
    assert "'mysql'" in error.message


def test_logins_per_kitchen_are_refused_where_the_engine_has_none() -> None:
    error = error_for(VALID.replace("path: dev.duckdb", "path: dev.duckdb, kitchen_roles: true"))
    assert (
        "kitchen.yaml:4: environments.dev.warehouse: duckdb has no logins kitchen could make "
        "per kitchen: leave out kitchen_roles and read_parent" in error.message
    )


def test_a_registry_store_is_an_environments_own() -> None:
    loaded = config.parse(
        VALID.replace(
            "    secrets: {type: file, path: dev.yaml}",
            "    registry: {type: duckdb, path: registry.duckdb}\n"
            "    secrets: {type: file, path: dev.yaml}",
        ),
        SOURCE,
    )
    assert isinstance(loaded.environments["dev"].registry, config.DuckDBWarehouse)
    shared = VALID.replace(
        "kitchens:",
        "  prod:\n    warehouse: {type: duckdb, path: prod.duckdb}\n"
        "    registry: {type: duckdb, path: dev.duckdb}\n"
        "    secrets: {type: file, path: p.yaml}\n    artifacts: {type: local, path: p}\n"
        "kitchens:",
    )
    error = error_for(shared)
    assert "environments.prod.registry: the registry of environment 'dev' is kept there" in (
        error.message
    )


def test_spark_keeps_its_registry_elsewhere_and_has_no_logins() -> None:
    spark = VALID.replace(
        "{type: duckdb, path: dev.duckdb}", '{type: spark, url: "sc://spark:15002"}'
    )
    error = error_for(spark)
    assert (
        "environments.dev.warehouse: spark enforces neither keys nor transactions, so it cannot "
        "hold kitchen's registry" in error.message
    )
    stored = spark.replace(
        "    secrets: {type: file, path: dev.yaml}",
        "    registry: {type: duckdb, path: registry.duckdb}\n"
        "    secrets: {type: file, path: dev.yaml}",
    )
    assert isinstance(
        config.parse(stored, SOURCE).environments["dev"].warehouse, config.SparkWarehouse
    )
    roles = error_for(
        stored.replace('url: "sc://spark:15002"', 'url: "sc://spark:15002", kitchen_roles: true')
    )
    assert "spark has no logins kitchen could make per kitchen" in roles.message
    bad = error_for(stored.replace("sc://spark:15002", "http://spark:15002"))
    assert "must be a Spark Connect URL: sc://host:port" in bad.message


def test_data_mode_is_one_of_three() -> None:
    assert config.parse(VALID + "data: {mode: views}\n", SOURCE).data.mode == "views"
    error = error_for(VALID + "data: {mode: lazy}\n")
    assert "data.mode: Input should be 'copy', 'views' or 'clone'" in error.message


def test_missing_required_key() -> None:
    error = error_for(VALID.replace(", path: dev.yaml", ""))
    assert "environments.dev.secrets.path: required key is missing" in error.message


def test_wrong_type_names_the_value() -> None:
    error = error_for(VALID.replace("branch: develop}", "branch: develop, protected: maybe}"))
    assert "kitchens.dev.protected" in error.message and "'maybe'" in error.message


def test_a_value_no_union_member_takes_is_one_line() -> None:
    rule = "data:\n  masking:\n    rules: {customers.email: [email]}\n"
    error = error_for(VALID + rule)
    assert error.message.count("\n") == 0, error.message
    assert error.message.endswith(
        "data.masking.rules.customers.email: Input should be a valid string or a valid"
        " dictionary (got a list)"
    )


def test_a_password_of_the_wrong_type_is_not_shown() -> None:
    warehouse = "{type: postgres, host: db, password: 98765432}"
    error = error_for(VALID.replace("{type: duckdb, path: dev.duckdb}", warehouse))
    assert "environments.dev.warehouse.password: Input should be a valid string" in error.message
    assert "98765432" not in error.message


def test_unknown_environment_of_a_kitchen() -> None:
    error = error_for(VALID.replace("environment: dev,", "environment: prod,"))
    assert "kitchens.dev.environment: unknown environment 'prod' (declared: dev)" in error.message


def test_unknown_parent_and_cycles() -> None:
    assert (
        "unknown kitchen 'nope'"
        in error_for(VALID.replace("branch: develop}", "branch: develop, parent: nope}")).message
    )
    looped = VALID.replace("branch: develop}", "branch: develop, parent: dev}")
    assert "parent cycle dev -> dev" in error_for(looped).message


def test_broken_yaml_names_line_and_column() -> None:
    error = error_for("project: [shop\n")
    assert error.message.startswith("kitchen.yaml:2:1: invalid YAML")


def test_top_level_must_be_a_mapping() -> None:
    assert "mapping" in error_for("- a\n- b\n").message


def test_no_root_kitchen() -> None:
    assert (
        "kitchens: declare at least one root kitchen"
        in error_for(
            VALID.replace("  dev: {environment: dev, branch: develop}\n", "  {}\n").replace(
                "kitchens:\n  {}", "kitchens: {}"
            )
        ).message
    )


@pytest.mark.parametrize("prefix", ["../", "/abs/", "a b/", "kitchen"])
def test_bad_branch_prefix(prefix: str) -> None:
    error = error_for(VALID + f"git: {{branch_prefix: '{prefix}'}}\n")
    assert "git.branch_prefix" in error.message


def test_invalid_root_kitchen_name_and_schema() -> None:
    assert "kitchens" in error_for(VALID.replace("  dev: {", "  Dev!: {")).message
    bad_schema = VALID.replace("branch: develop}", 'branch: develop, schema: "x; drop"}')
    assert "kitchens.dev.schema" in error_for(bad_schema).message


def test_missing_file_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path / "kitchen.yaml")
    assert caught.value.hint and "kitchen init" in caught.value.hint
