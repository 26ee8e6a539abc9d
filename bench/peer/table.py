"""The peer bench's figures: medians of the interleaved rounds, each with its same-run
references (bare no-op, our ping) and the peer's figure, the ratios, the goal (issue 18) and
whether it is met; as rows for bench/__main__.py and as the README's markdown table."""

from __future__ import annotations

from ..load import median
from .web import CONCURRENCY, Sample


def _rps(samples: Sample, key: str) -> float:
    return median([s.rps for s in samples[key]])


def _p50(samples: Sample, key: str) -> float:
    return median([s.percentile(50) for s in samples[key]])


def _row(figure: str, ours: float, unit: str, **fields) -> dict:
    row = {"benchmark": f"peer: {figure}", "figure": figure, "value": ours, "unit": unit}
    row.update(fields)
    return row


def web_rows(samples: Sample, counts: dict) -> list[dict]:
    ours, peer = _p50(samples, "ours_list"), _p50(samples, "peer_list")
    bare, ping = _p50(samples, "bare_get"), _p50(samples, "ping_get")
    rows = [
        _row(
            "ticket list, first page, p50 at c=1",
            ours,
            "ms",
            ours_text=f"{ours:.1f} ms, {counts['ours']['list']} statements",
            peer_text=f"{peer:.0f} ms, {counts['peer']['list']} statements",
            bare_text=f"GET no-op {bare:.1f} ms; our GET ping {ping:.1f} ms",
            ratio=peer / ours,
            ratios=f"peer/ours {peer / ours:.0f}x; ours/bare {ours / bare:.1f}x; "
            f"ours/ping {ours / ping:.1f}x",
            reference=f"peer {peer:.0f} ms, bare {bare:.1f} ms",
            goal="faster than the peer",
            met=ours < peer,
        )
    ]
    for c in CONCURRENCY:
        ours, peer = _rps(samples, f"ours@{c}"), _rps(samples, f"peer@{c}")
        bare, ping = _rps(samples, f"bare@{c}"), _rps(samples, f"ping@{c}")
        goal, met = ">= 2x the peer", ours >= 2 * peer
        if c == 8:
            goal, met = ">= 2x the peer and >= 0.25 of bare", met and ours >= 0.25 * bare
        rows.append(
            _row(
                f"ticket create, c={c}",
                ours,
                "req/s",
                ours_text=f"{ours:.0f} req/s ({counts['ours']['create']} statements)"
                if c == 8
                else f"{ours:.0f} req/s",
                peer_text=f"{peer:.0f} req/s ({counts['peer']['create']} statements)"
                if c == 8
                else f"{peer:.0f} req/s",
                bare_text=f"no-op POST {bare:.0f} req/s; our ping {ping:.0f} req/s",
                ratio=ours / peer,
                ratios=f"ours/peer {ours / peer:.2f}; ours/bare {ours / bare:.2f}; "
                f"ours/ping {ours / ping:.2f}",
                reference=f"peer {peer:.0f}, bare {bare:.0f}, ping {ping:.0f} req/s",
                goal=goal,
                met=met,
            )
        )
    for c in CONCURRENCY:
        bare, ping = _rps(samples, f"bare@{c}"), _rps(samples, f"ping@{c}")
        rows.append(
            _row(
                f"our no-op POST /api/v1/ping/, c={c}",
                ping,
                "req/s",
                ours_text=f"{ping:.0f} req/s",
                peer_text="-",
                bare_text=f"no-op POST {bare:.0f} req/s",
                ratio=ping / bare,
                ratios=f"ping/bare {ping / bare:.2f}",
                reference=f"bare {bare:.0f} req/s",
                goal=">= 0.8 of bare",
                met=ping >= 0.8 * bare,
            )
        )
    return rows


def _jobs(timers: dict, intake: dict) -> list[dict]:
    def med(side: dict, key: str) -> float:
        return median([s[key] for s in side])

    ours_s, peer_s = med(timers["ours"], "seconds"), med(timers["peer"], "seconds")
    ours_w, peer_w = med(timers["ours"], "wall"), med(timers["peer"], "wall")
    handled = f"{timers['ours'][0]['handled']} / {timers['peer'][0]['handled']} handled"
    rows = [
        _row(
            "timers: 1,000 due (SLA sweep vs escalate_tickets), in the process",
            ours_s * 1000,
            "ms",
            ours_text=f"{ours_s * 1000:.0f} ms, {med(timers['ours'], 'statements'):.0f} statements",
            peer_text=f"{peer_s * 1000:.0f} ms, {med(timers['peer'], 'statements'):.0f} statements",
            bare_text="-",
            ratio=peer_s / ours_s,
            ratios=f"peer/ours {peer_s / ours_s:.1f}x ({handled})",
            reference=f"peer {peer_s * 1000:.0f} ms",
            goal=">= 5x the peer",
            met=peer_s >= 5 * ours_s,
        ),
        _row(
            "timers: the same, as whole processes",
            ours_w * 1000,
            "ms",
            ours_text=f"{ours_w:.2f} s",
            peer_text=f"{peer_w:.2f} s",
            bare_text="-",
            ratio=peer_w / ours_w,
            ratios=f"peer/ours {peer_w / ours_w:.1f}x",
            reference=f"peer {peer_w:.2f} s",
            goal="reported",
            met=None,
        ),
    ]
    ours_rate = median([s["messages"] / s["seconds"] for s in intake["ours"]])
    peer_rate = median([s["messages"] / s["seconds"] for s in intake["peer"]])
    ours_wall = median([s["messages"] / s["wall"] for s in intake["ours"]])
    peer_wall = median([s["messages"] / s["wall"] for s in intake["peer"]])
    last_ours, last_peer = intake["ours"][-1], intake["peer"][-1]
    rows += [
        _row(
            "email intake: the same 1,000 messages, 1 process",
            ours_rate,
            "msg/s",
            ours_text=f"{ours_rate:.0f} msg/s ({_per_message(last_ours)} statements/msg; "
            f"{last_ours['states']})",
            peer_text=f"{peer_rate:.0f} msg/s ({_per_message(last_peer)} "
            f"statements/msg; {last_peer['tickets_created']} tickets, "
            f"{last_peer['followups_created']} follow-ups, "
            f"{last_peer['left_in_mailbox']} left in the mailbox; "
            f"{last_peer.get('refused', 0)} not UTF-8 set aside, get_email run "
            f"{last_peer.get('runs', 1)} times)",
            bare_text="-",
            ratio=ours_rate / peer_rate,
            ratios=f"ours/peer {ours_rate / peer_rate:.2f}",
            reference=f"peer {peer_rate:.0f} msg/s",
            goal=">= 150 msg/s and >= 3x the peer",
            met=ours_rate >= 150 and ours_rate >= 3 * peer_rate,
        ),
        _row(
            "email intake: the same, as whole processes",
            ours_wall,
            "msg/s",
            ours_text=f"{ours_wall:.0f} msg/s",
            peer_text=f"{peer_wall:.0f} msg/s",
            bare_text="-",
            ratio=ours_wall / peer_wall,
            ratios=f"ours/peer {ours_wall / peer_wall:.2f}",
            reference=f"peer {peer_wall:.0f} msg/s",
            goal="reported",
            met=None,
        ),
    ]
    return rows


def _per_message(sample: dict) -> str:
    return f"{sample['statements'] / max(sample['messages'], 1):.0f}"


def rows(
    samples: Sample, counts: dict, rss: dict, timers: dict, intake: dict, tickets: int
) -> list[dict]:
    out = web_rows(samples, counts)
    out.append(
        _row(
            "peak RSS per web worker (after all the loads above)",
            rss["ours"],
            "MiB",
            ours_text=f"{rss['ours']:.1f} MiB",
            peer_text=f"{rss['peer']:.1f} MiB",
            bare_text="-",
            ratio=rss["ours"] / rss["peer"],
            ratios=f"ours/peer {rss['ours'] / rss['peer']:.2f}",
            reference=f"peer {rss['peer']:.1f} MiB",
            goal="<= 1.2x the peer",
            met=rss["ours"] <= 1.2 * rss["peer"],
        )
    )
    out += _jobs(timers, intake)
    for row in out:
        row["tickets"] = tickets
    return out


def markdown(rows: list[dict], tickets: int, runs: int) -> str:
    lines = [
        f"\nSide by side with django-helpdesk, {tickets:,} tickets, medians of {runs} "
        "interleaved rounds:\n",
        "| figure | ours | peer | bare reference | ratios | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = {True: "met", False: "**not met**", None: "-"}[row["met"]]
        lines.append(
            f"| {row['figure']} | {row['ours_text']} | {row['peer_text']} | "
            f"{row['bare_text']} | {row['ratios']} | {row['goal']} | {met} |"
        )
    return "\n".join(lines)
