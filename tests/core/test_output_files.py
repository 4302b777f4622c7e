"""Output files: written whole or not at all, links and special files
kept, never the net being read."""
import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from nolearn_capacity import errors, output


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "nolearn_capacity"] +
                          list(args), capture_output=True, text=True, **kw)


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps([
        ["InputLayer", {"shape": [None, 1, 12, 12]}],
        ["Conv2DLayer", {"num_filters": 2, "filter_size": 3}]]))
    return path


def test_output_through_a_symlink_keeps_the_link(tmp_path, net_file):
    real = tmp_path / "real.txt"
    real.write_text("old")
    os.chmod(str(real), 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    done = run(str(net_file), "--output", str(link))
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert link.is_symlink() and os.readlink(str(link)) == "real.txt"
    assert real.read_text().startswith("# Neural Network with ")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ["link.txt", "net.json",
                                                  "real.txt"]


def test_new_output_file_follows_the_umask(tmp_path):
    umask = os.umask(0o027)
    try:
        output.write(str(tmp_path / "new.txt"), "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_output_writes_through_a_fifo(tmp_path, net_file):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(
        open(fifo, encoding="utf-8").read()))
    reader.start()
    done = run(str(net_file), "--output", fifo)
    reader.join(30)
    assert done.returncode == 0 and done.stdout == ""
    assert got and got[0].startswith("# Neural Network with ")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_writes_through_a_device(tmp_path, net_file):
    device = str(tmp_path / "null")
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        if not hasattr(os, "geteuid") or os.geteuid() == 0:
            pytest.skip("cannot make a device node here")
        device = "/dev/null"     # not root: a bug could not replace it
    done = run(str(net_file), "--output", device)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_output_to_dev_stdout_writes_to_the_descriptor(tmp_path, net_file):
    log = tmp_path / "log.txt"
    log.write_text("before\n")
    with open(str(log), "a") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "nolearn_capacity", str(net_file),
             "--output", "/dev/stdout"], stdout=stdout, stderr=subprocess.PIPE)
        stdout.write("after\n")
    assert done.returncode == 0 and done.stderr == b""
    text = log.read_text()
    assert text.startswith("before\n# Neural Network with ")
    assert text.endswith("\nafter\n")


def test_output_into_a_missing_directory(tmp_path, net_file):
    done = run(str(net_file), "--output", str(tmp_path / "no" / "out.txt"))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        "nolearn-capacity: error: --output {!r}: cannot write: no such "
        "directory {!r}\n".format(str(tmp_path / "no" / "out.txt"),
                                  os.path.realpath(str(tmp_path / "no"))))
    assert sorted(os.listdir(str(tmp_path))) == ["net.json"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path,
                                                          monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device", src)
    monkeypatch.setattr(output.os, "replace", refuse)
    with pytest.raises(errors.OutputError) as caught:
        output.write(str(target), "new")
    assert str(caught.value) == "output file {!r}: cannot write: No space " \
        "left on device".format(str(target))
    assert ".tmp" not in str(caught.value)
    assert os.listdir(str(tmp_path)) == ["out.txt"]
    assert target.read_text() == "old"


def test_output_that_is_a_directory(tmp_path):
    with pytest.raises(errors.OutputError, match="is a directory"):
        output.write(str(tmp_path), "x")


@pytest.mark.parametrize("spelling", ["same", "dotted", "link", "compare",
                                      "plot", "script"])
def test_output_never_overwrites_the_net_being_read(tmp_path, net_file,
                                                    spelling):
    target = out = str(net_file)
    option, args = "--output", [target]
    if spelling == "dotted":
        out = os.path.join(str(tmp_path), ".", "net.json")
    elif spelling == "link":
        (tmp_path / "link.json").symlink_to("net.json")
        out = str(tmp_path / "link.json")
    elif spelling == "compare":
        args = ["compare", "mnist", target]
    elif spelling == "plot":
        option = "--plot"
    elif spelling == "script":
        script = tmp_path / "net.py"
        script.write_text("net = None\n")
        target = out = str(script)
        args = [target + ":net"]
    before = open(target, "rb").read()
    done = run(*args, option, out)
    assert done.returncode == 2 and done.stdout == ""
    prog = "nolearn-capacity" + (" compare" if spelling == "compare" else "")
    assert done.stderr == (
        "{}: error: {} {!r} would overwrite {!r}, the net being read; choose "
        "another file (see {} --help)\n".format(prog, option, out, target,
                                                prog))
    assert open(target, "rb").read() == before
