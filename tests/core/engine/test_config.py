"""Options are parsed once, into typed values: every wrong value is a one-line error before
anything is written under OUT."""
import pytest
from click.testing import CliRunner

from multitag.annotation.budget import InitialSize, Schedule
from multitag.cli import main
from multitag.errors import MultitagError
from multitag.experiments.config import ExperimentConfig, config_from_sources
from multitag.experiments.validation import Validation


def _compare(tmp_path, data_dir, backend, *extra, config=None):
    out = tmp_path / "out"
    args = ["compare", "--data", data_dir, "--backends", backend, "--schedule", "5%x1", "--initial-size", "10%",
            "--valid", "none", "--out", str(out), "--no-progress", *extra]
    if config:
        path = tmp_path / "protocol.yaml"
        path.write_text(config)
        args += ["--config", str(path)]
    return CliRunner().invoke(main, args), out


@pytest.mark.parametrize("extra,yaml_text,message", [
    (["--valid", "abc%"], None, "--valid 'abc%'"),
    (["--level", "entiy"], None, "--level: unknown value 'entiy'; use one of sentence, entity, token"),
    (["--cost", "sentence=abc"], None, "--cost sentence='abc': expected a number of seconds"),
    (["--cost", "coffee=3"], None, "unknown cost"),
    (["--seeds", "0"], None, "--seeds: the number of seeds must be at least 1"),
    (["--mc-samples", "one"], None, "--mc-samples: expected an integer"),
    (["--strategies", "mnlpp"], None, "unknown strategy 'mnlpp'; installed: "),
    (["--initial", "bogus"], None, "--initial: unknown value 'bogus'; use one of "),
    (["--pool-subsample", "150%"], None, "--pool-subsample"),
    (["--param", "alpha=abc"], None, "parameter alpha expects a number, got 'abc'"),
    (["--param", "nope=1"], None, "has no parameter 'nope'"),
    ([], 'seeds: "two"\n', "seeds: expected a number of seeds"),
    ([], "levels: 3\n", "levels: expected a list of names"),
    ([], "schedule: 2%x\n", "schedule part '2%x'"),
    ([], "bogus_key: 1\n", "unknown setting 'bogus_key'"),
    ([], "seeds: [0, 0]\n", "a seed is listed twice"),
])
def test_each_bad_value_is_one_line_and_leaves_no_out_folder(tmp_path, data_dir, count_backend, extra, yaml_text, message):
    r, out = _compare(tmp_path, data_dir, count_backend, *extra, config=yaml_text)
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    assert message in lines[0], lines[0]
    assert not out.exists(), "nothing may be written under OUT for a wrong value"


def test_the_corrected_rerun_is_accepted(tmp_path, data_dir, count_backend):
    r, out = _compare(tmp_path, data_dir, count_backend, "--param", "alpha=abc")
    assert r.exit_code == 2
    r, out = _compare(tmp_path, data_dir, count_backend, "--param", "alpha=0.3")
    assert r.exit_code == 0, r.output
    assert "alpha: 0.3" in (out / "config.yaml").read_text()


def test_from_dict_takes_typed_defaults_for_what_is_not_given():
    c = ExperimentConfig.from_dict({"seeds": 3})
    assert c.seeds == [0, 1, 2]
    assert isinstance(c.schedule, Schedule) and str(c.schedule) == "2%x24"
    assert c.initial_size == InitialSize(fraction=0.02) and c.valid == Validation("dev")
    c = ExperimentConfig.from_dict({"initial-size": 100, "valid": "1%-of-pool", "level": "entity,token",
                                    "cost": {"label": 2}, "train_limit": "50"})
    assert c.initial_size.sentences == 100 and c.valid == Validation("pool", 0.01)
    assert c.levels == ["entity", "token"] and c.cost_model.label == 2.0 and c.train_limit == 50
    assert ExperimentConfig.from_dict(c.to_dict()).to_dict() == c.to_dict()   # config.yaml round trip


def test_yaml_and_command_line_merge_in_the_config_module(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("strategies: [mnlp, bt]\nschedule: 5%x2\nseeds: 2\nparams:\n  count: {alpha: 0.1}\n")
    c = config_from_sources(yaml_path=str(path), options={"schedule": "1%x3", "backends": "count"},
                            params=("count:alpha=0.2",), cost=("label=3",))
    assert c.strategies == ["mnlp", "bt"] and str(c.schedule) == "1%x3" and c.seeds == [0, 1]
    assert c.params == {"count": {"alpha": 0.2}} and c.cost_model.label == 3.0
    with pytest.raises(MultitagError, match="'other' is not one of the backends"):
        config_from_sources(yaml_path=None, options={"backends": "count"}, params=("other:alpha=1",))
