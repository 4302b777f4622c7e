"""Writing an output file (``--output``, ``--plot``, :meth:`Report.plot`).

One rule for every file written:

* a regular file (or a name not there yet) is replaced atomically: the
  data goes to a hidden temporary file in the same directory, which then
  takes the name with :func:`os.replace`; a reader never sees half a file,
  and an error leaves the old file and no temporary file behind;
* a symlink keeps being a link: its target is written (atomically when the
  target is a regular file);
* a name of an open descriptor of this process (``/dev/stdout``,
  ``/dev/fd/N``, ``/proc/self/fd/N``) is written to that descriptor, as the
  shell does: at its offset, appending if it appends, even when it is
  redirected to a regular file;
* anything else (a device such as ``/dev/null``, a FIFO) is opened and
  written through, as ``cat > FILE`` would: replacing it by a regular file
  would break it.
"""
import os
import stat

from .errors import BadArgumentError, OutputError, shown

#: Hops followed along a chain of symlinks before giving up (Linux's own
#: limit is 40).
MAX_LINKS = 40


def file_name(path, what="output file"):
    """``path`` as a ``str``, or :class:`BadArgumentError` naming ``what``."""
    try:
        name = os.fspath(path)
    except TypeError:
        name = None
    if not isinstance(name, str) or not name or "\0" in name:
        raise BadArgumentError("{}: expected a file name (a non-empty str "
                               "or os.PathLike without NUL), got {}".format(
                                   what, shown(path)))
    return name


def write(path, data, what="output file"):
    """Write ``data`` (``str``, as UTF-8, or ``bytes``) to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; see the module docstring for links and special
        files.
    data : str or bytes
    what : str
        How messages name the file (``"--output"``, ``"plot file"``).

    Raises
    ------
    OutputError
        The file cannot be written (missing directory, a directory, no
        permission, ...); the message names ``path`` and the reason.
    """
    path = file_name(path, what)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        descriptor = _descriptor(path)
        if descriptor is not None:
            return _write_descriptor(descriptor, data)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:     # new file, or a link to a new file
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise OutputError("{} {}: is a directory".format(
                what, shown(path)))
        if mode is not None and not stat.S_ISREG(mode):
            return _write_through(path, data)
        _replace(os.path.realpath(path), data, mode)
    except OutputError:
        raise
    except OSError as error:
        raise OutputError("{} {}: cannot write: {}".format(
            what, shown(path), error.strerror or error)) from None


def _descriptor(path):
    """The descriptor N that ``path`` or a link on its way names as
    ``/dev/fd/N`` or ``/proc/{self,<our pid>}/fd/N``; None otherwise.
    (Opening such a name anew would start a second offset at 0 and
    overwrite what the shell writes to the same file.)"""
    import re   # only here: a plain file name costs no regex machinery
    own = re.compile(r"/(?:dev|proc/(?:self|{}))/fd/(\d+)\Z".format(
        os.getpid()))
    for _ in range(MAX_LINKS):
        path = os.path.abspath(path)
        match = own.match(path)
        if match:
            return int(match.group(1))
        if not os.path.islink(path):
            return None
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    return None


def _write_descriptor(descriptor, data):
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _write_through(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _replace(target, data, mode):
    """Atomically replace (or create) the regular file ``target``."""
    directory, base = os.path.split(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(0, "no such directory {}".format(
            shown(directory)))
    fd, tmp = _temporary(directory, base)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            # The file keeps its permissions (not the set-id bits: this is
            # a report, never an executable).
            os.fchmod(fd, stat.S_IMODE(mode) & 0o777)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _temporary(directory, base):
    """A new hidden file beside ``base``: (descriptor, path).  Created
    with mode 0o666 so that the umask applies, as for any new file."""
    for _ in range(100):
        tmp = os.path.join(directory, ".{}.{}.tmp".format(
            base, os.urandom(4).hex()))
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                           0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(0, "no free temporary file name")


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name one existing file (links and
    different spellings included)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
