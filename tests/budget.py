"""Resource guards for tests that no clock decides (CI is deterministic;
speed is measured in bench/, never in timed tests).

:class:`budget` counts the function calls made inside it, Python and C
alike (``sys.setprofile``'s 'call' and 'c_call' events), and optionally
the peak of the memory allocated inside it (``tracemalloc``).  Both depend
on the code and its input, not on the machine or its load.  A bound is set
well above what the code takes today and far below what the regression it
guards against would take (one call per kernel tap of a 10**12-tap kernel;
a YAML bomb's 9**9 strings).

Past the call bound the guarded code is stopped at its next call, so a
regression that would run for hours fails at once; the test then fails
with the count, the bound and what the bound guards against.  Work done
inside one C function (json's parser, a repr) makes no calls: memory is
its measure, judged once that function returns.  Only the calling
thread is counted.
"""
import sys
import tracemalloc


class OverBudget(BaseException):
    """Raised inside the guarded code at the first call past the bound.
    Not an :class:`Exception`, so that the code's own ``except Exception``
    (one-line CLI errors, reprs that fail) cannot swallow it."""


class budget:
    """``with budget(calls, guards, peak_bytes=None):`` fails the test
    when the block makes more than ``calls`` calls or, with
    ``peak_bytes``, allocates more than that many bytes at its peak.
    ``guards`` says what the bounds guard against, for the message.
    After the block, ``calls_made`` and ``peak`` hold what it took."""

    def __init__(self, calls, guards, peak_bytes=None):
        self.bound, self.guards, self.peak_bound = calls, guards, peak_bytes
        self.calls_made, self.peak = 0, None

    def _count(self, frame, event, arg):
        if event == "call" or event == "c_call":
            self.calls_made += 1
            if self.calls_made > self.bound:
                # CPython unsets a profile function that raises
                raise OverBudget

    def __enter__(self):
        self._traced = self.peak_bound is not None
        if self._traced:
            self._tracing_before = tracemalloc.is_tracing()
            if not self._tracing_before:
                tracemalloc.start()
            tracemalloc.reset_peak()
            self._start = tracemalloc.get_traced_memory()[0]
        self._profile_before = sys.getprofile()
        sys.setprofile(self._count)
        return self

    def __exit__(self, kind, error, trace):
        sys.setprofile(self._profile_before)
        if self._traced:
            self.peak = tracemalloc.get_traced_memory()[1] - self._start
            if not self._tracing_before:
                tracemalloc.stop()
        if self.calls_made > self.bound:
            raise AssertionError(
                "{} function calls, stopped there: over the bound of {}, "
                "which guards against {}".format(
                    self.calls_made, self.bound, self.guards)) from None
        # a memory peak is judged only when the block ran to its end: an
        # error it raised says more
        if kind is None and self._traced and self.peak > self.peak_bound:
            raise AssertionError(
                "{} bytes allocated at the peak: over the bound of {}, which "
                "guards against {}".format(self.peak, self.peak_bound,
                                           self.guards))
        return False
