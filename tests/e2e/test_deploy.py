"""Deployment pieces: the man page, bash completion, the systemd unit, `make install`."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, IPCSCOPE, ROOT

MAN = os.path.join(ROOT, "docs", "ipcscope.1")
COMPLETION = os.path.join(ROOT, "scripts", "ipcscope.bash-completion")
UNIT = os.path.join(ROOT, "scripts", "ipcscope-metrics.service")


def commands():
    out = subprocess.run([IPCSCOPE, "--help"], capture_output=True, text=True, timeout=10).stdout
    cmds = re.findall(r"^  ([a-z][a-z-]*) ", out.split("Commands:")[1].split("\n\n")[0], re.M)
    assert cmds, out
    return cmds


def long_options(cmd):
    out = subprocess.run([IPCSCOPE, cmd, "--help"], capture_output=True, text=True,
                         timeout=10).stdout
    opts = set()
    for line in out.splitlines():
        if re.match(r"^ +-", line):
            opts.update(re.findall(r"--([a-z][a-z0-9-]*)", line))
    return opts - {"help", "usage"}


@pytest.mark.skipif(not shutil.which("groff"), reason="groff not installed")
def test_man_page_renders_without_warnings():
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN], capture_output=True,
                       text=True, timeout=30, env=dict(os.environ, LC_ALL="C.UTF-8"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", MAN], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat"))
        assert r.returncode == 0 and "ipcscope top" in r.stdout, r.stderr


def man_sections(text):
    """{command: its .SS section} and the COMMON OPTIONS section."""
    common = text.split(".SH COMMON OPTIONS")[1].split(".SH COMMANDS")[0]
    cmds = text.split(".SH COMMANDS")[1].split("\n.SH ")[0]
    sections = {}
    for part in cmds.split("\n.SS ")[1:]:
        name, _, body = part.partition("\n")
        sections[name.strip()] = body
    return sections, common


def test_man_page_covers_every_command_and_option(ipcscope):
    sections, common = man_sections(open(MAN).read())
    missing = []
    for cmd in commands():
        if cmd not in sections:
            missing.append(f"command {cmd}")
            continue
        for opt in long_options(cmd):
            # Options are written \-\-name in roff, in the command's section
            # or, for the shared ones, under COMMON OPTIONS.
            roff = "\\-\\-" + opt.replace("-", "\\-")
            if roff not in sections[cmd] and roff not in common:
                missing.append(f"{cmd} --{opt}")
    assert not missing, "docs/ipcscope.1 does not document: " + ", ".join(missing)


def complete(words):
    script = (f"source {COMPLETION}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)}); "
              f"COMP_CWORD={len(words) - 1}; _ipcscope; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_bash_completion(ipcscope):
    cmds = set(commands())
    assert cmds <= complete([ipcscope, ""])
    assert complete([ipcscope, "metr"]) == {"metrics"}
    for cmd in cmds:
        opts = complete([ipcscope, cmd, "--"])
        assert {f"--{o}" for o in long_options(cmd)} <= opts, cmd
    assert complete([ipcscope, "top", "--sort", ""]) == {"calls", "latency", "waiters", "size"}
    assert complete([ipcscope, "trace", "-t", "shm,s"]) == {"shm,shm", "shm,sem"}
    assert "sh" in complete([ipcscope, "trace", "--", "sh"])


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_unit_verifies(ipcscope, tmp_path):
    r = subprocess.run([os.path.join(ROOT, "scripts", "check-unit.sh"), BUILD],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    text = open(UNIT).read()
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1).split()
    assert set(caps) <= {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH",
                         "CAP_IPC_OWNER"}, caps
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "RestrictSUIDSGID=yes"):
        assert re.search(rf"^{line}$", text, re.M), line
    assert re.search(r"^SystemCallFilter=@system-service", text, re.M)
    assert "--listen 127.0.0.1:" in text
    # systemd's own exposure score for the hardening (lower is better, 10 worst).
    unit = tmp_path / "ipcscope-metrics.service"
    unit.write_text(text.replace("@BINDIR@", BUILD))
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    if not m:
        pytest.skip("systemd-analyze security --offline unsupported: " + r.stderr.strip())
    assert float(m.group(1)) <= 4.0, r.stdout[-2000:]


def test_make_install_destdir(ipcscope, tmp_path):
    dest = tmp_path / "stage"
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, f"BUILD={BUILD}",
                        f"DESTDIR={dest}", "PREFIX=/usr", "install"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    files = {os.path.relpath(os.path.join(d, f), dest)
             for d, _, fs in os.walk(dest) for f in fs}
    assert files == {"usr/sbin/ipcscope", "usr/share/man/man1/ipcscope.1",
                     "usr/share/bash-completion/completions/ipcscope",
                     "usr/lib/systemd/system/ipcscope-metrics.service"}, files
    assert os.access(dest / "usr/sbin/ipcscope", os.X_OK)
    unit = (dest / "usr/lib/systemd/system/ipcscope-metrics.service").read_text()
    assert "ExecStart=/usr/sbin/ipcscope metrics" in unit and "@BINDIR@" not in unit
    r = subprocess.run([str(dest / "usr/sbin/ipcscope"), "--version"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0 and r.stdout.startswith("ipcscope ")


def deploy_yaml_blocks():
    text = open(os.path.join(ROOT, "docs", "deploy.md")).read()
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


def test_deploy_doc_prometheus_config_and_rules(tmp_path):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool not installed (prometheus package)")
    blocks = deploy_yaml_blocks()
    rules = [b for b in blocks if b.startswith("groups:")]
    config = [b for b in blocks if "scrape_configs:" in b]
    assert len(rules) == 1 and len(config) == 1
    (tmp_path / "ipcscope-alerts.yml").write_text(rules[0])
    (tmp_path / "prometheus.yml").write_text(config[0])
    r = subprocess.run([promtool, "check", "rules", str(tmp_path / "ipcscope-alerts.yml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 7 rules found" in r.stdout, r.stdout
    r = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                       capture_output=True, text=True, timeout=60)
    if r.returncode and "kubernetes_sd_configs not found" in r.stdout + r.stderr:
        # Debian builds Prometheus without Kubernetes discovery: check the
        # rest, and the Kubernetes job's shape by hand.
        yaml = pytest.importorskip("yaml")
        cfg = yaml.safe_load(config[0])
        k8s = [j for j in cfg["scrape_configs"] if "kubernetes_sd_configs" in j]
        assert len(k8s) == 1 and k8s[0]["kubernetes_sd_configs"][0]["role"] == "pod"
        assert any(rc.get("action") == "keep" for rc in k8s[0]["relabel_configs"])
        cfg["scrape_configs"] = [j for j in cfg["scrape_configs"] if j not in k8s]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(cfg))
        r = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    # Every metric the rules use is one ipcscope exports (documented in the man page).
    man = open(MAN).read()
    for metric in set(re.findall(r"ipcscope_([a-z_]+)", rules[0])):
        assert metric.replace("_total", "") in man, metric


def test_deploy_doc_daemonset():
    yaml = pytest.importorskip("yaml")
    ds = [yaml.safe_load(b) for b in deploy_yaml_blocks() if "kind: DaemonSet" in b]
    assert len(ds) == 1
    spec = ds[0]["spec"]["template"]["spec"]
    assert spec["hostPID"] is True and spec["hostIPC"] is True
    c = spec["containers"][0]
    sc = c["securityContext"]
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert set(sc["capabilities"]["add"]) <= {"BPF", "PERFMON", "SYS_PTRACE",
                                              "DAC_READ_SEARCH", "IPC_OWNER"}
    assert c["args"][0] == "metrics" and "--listen" in c["args"]


def test_deploy_doc_alerts_fire(tmp_path):
    """promtool's rule unit tests: each documented alert fires on the series it watches."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool not installed (prometheus package)")
    yaml = pytest.importorskip("yaml")
    rules = yaml.safe_load([b for b in deploy_yaml_blocks() if b.startswith("groups:")][0])
    # promtool compares annotations too: test which alerts fire, by labels.
    for rule in rules["groups"][0]["rules"]:
        rule.pop("annotations", None)
    (tmp_path / "ipcscope-alerts.yml").write_text(yaml.safe_dump(rules))
    i = 'instance="db1:9857", job="ipcscope"'
    (tmp_path / "test.yml").write_text(f"""
rule_files: [ipcscope-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'ipcscope_limit_usage_ratio{{{i}, limit="shmmni"}}'
        values: '0.95x20'
      - series: 'ipcscope_limit_usage_ratio{{{i}, limit="msgmni"}}'
        values: '0.5x20'
      - series: 'ipcscope_leak_candidates{{{i}, kind="shm"}}'
        values: '1+1x120'
      - series: 'ipcscope_leak_candidates{{{i}, kind="sem"}}'
        values: '3x120'
      - series: 'ipcscope_deadlock_cycles{{{i}}}'
        values: '0 0 1 1 1 1'
      - series: 'ipcscope_msg_queue_fill_ratio{{{i}, ipcns="1", id="7", key="0x00000001"}}'
        values: '0.85x10'
      - series: 'ipcscope_tracing{{{i}}}'
        values: '1x30'
      - series: 'ipcscope_lost_events_total{{{i}}}'
        values: '0x30'
      - series: 'ipcscope_uncounted_calls_total{{{i}}}'
        values: '0+600x30'
    alert_rule_test:
      - {{eval_time: 15m, alertname: IPCLimitNearlyExhausted, exp_alerts: [{{exp_labels: {{{i.replace('=', ': ')}, limit: shmmni, severity: warning}}}}]}}
      - {{eval_time: 5m, alertname: IPCLimitNearlyExhausted, exp_alerts: []}}
      - {{eval_time: 5m, alertname: IPCDeadlock, exp_alerts: [{{exp_labels: {{{i.replace('=', ': ')}, severity: critical}}}}]}}
      - {{eval_time: 1m, alertname: IPCDeadlock, exp_alerts: []}}
      - {{eval_time: 8m, alertname: IPCQueueNearlyFull, exp_alerts: [{{exp_labels: {{{i.replace('=', ': ')}, ipcns: "1", id: "7", key: "0x00000001", severity: warning}}}}]}}
      - {{eval_time: 100m, alertname: IPCLeakCandidatesGrowing, exp_alerts: [{{exp_labels: {{{i.replace('=', ': ')}, kind: shm, severity: warning}}}}]}}
      - {{eval_time: 20m, alertname: IPCScopeNotTracing, exp_alerts: []}}
      - {{eval_time: 20m, alertname: IPCScopeLosingEvents, exp_alerts: []}}
      - {{eval_time: 20m, alertname: IPCScopeUncountedCalls, exp_alerts: [{{exp_labels: {{{i.replace('=', ': ')}, severity: info}}}}]}}
      - {{eval_time: 5m, alertname: IPCScopeUncountedCalls, exp_alerts: []}}
""")
    r = subprocess.run([promtool, "test", "rules", str(tmp_path / "test.yml")],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
