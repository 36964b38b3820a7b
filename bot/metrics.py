"""Counters and a latency histogram, exposed in the Prometheus text format at /metrics.

Small on purpose: a dict of counters keyed by (name, labels) and one histogram with
fixed buckets. No client library needed, nothing global: the app owns one Metrics.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict

__all__ = ["Metrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_HELP = {
    "tabunka_messages_in_total": "Messages and events received, by platform.",
    "tabunka_messages_out_total": "Messages sent, by platform.",
    "tabunka_send_errors_total": "Sends that failed, by platform and status.",
    "tabunka_decisions_total": "Matcher decisions, by action.",
    "tabunka_webhook_rejected_total": "Webhook requests refused, by platform and reason.",
}


class Metrics:
    def __init__(self) -> None:
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self._hist_counts = [0] * (len(_BUCKETS) + 1)
        self._hist_sum = 0.0
        self._hist_n = 0

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        self._counters[(name, tuple(sorted(labels.items())))] += amount

    def value(self, name: str, **labels: str) -> float:
        return self._counters.get((name, tuple(sorted(labels.items()))), 0.0)

    def observe_latency(self, seconds: float) -> None:
        self._hist_counts[bisect_left(_BUCKETS, seconds)] += 1
        self._hist_sum += seconds
        self._hist_n += 1

    def render(self) -> str:
        lines: list[str] = []
        names = sorted({name for name, _ in self._counters})
        for name in names:
            lines.append(f"# HELP {name} {_HELP.get(name, name)}")
            lines.append(f"# TYPE {name} counter")
            for (n, labels), value in sorted(self._counters.items()):
                if n == name:
                    label_text = ",".join(f'{k}="{v}"' for k, v in labels)
                    lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
        hist = "tabunka_reply_latency_seconds"
        lines.append(f"# HELP {hist} Time from receiving a message to its reply being accepted by the platform.")
        lines.append(f"# TYPE {hist} histogram")
        cumulative = 0
        for bound, count in zip((*_BUCKETS, float("inf")), self._hist_counts, strict=True):
            cumulative += count
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            lines.append(f'{hist}_bucket{{le="{le}"}} {cumulative}')
        lines.append(f"{hist}_sum {self._hist_sum:g}")
        lines.append(f"{hist}_count {self._hist_n}")
        return "\n".join(lines) + "\n"
