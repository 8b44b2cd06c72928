#!/usr/bin/env python3
"""Writes dashboards/svl.json, the svl Grafana dashboard (schemaVersion 39: Grafana 10/11).

The JSON is generated so every panel is built the same way (datasource, targets,
units); edit this file, run it, commit both. tests/metrics checks the output
against the metrics svl really exports, and tests/metrics/prometheus_proof.sh
runs every query through a real Prometheus.
"""
import json
import pathlib

DS = {"type": "prometheus", "uid": "${datasource}"}
FN = 'function=~"$function"'
RI = "$__rate_interval"

panels = []
next_id = 1
cursor = {"x": 0, "y": 0}


def _place(w, h):
    if cursor["x"] + w > 24:
        cursor["x"] = 0
        cursor["y"] += h
    pos = {"h": h, "w": w, "x": cursor["x"], "y": cursor["y"]}
    cursor["x"] += w
    return pos


def row(title):
    global next_id
    if cursor["x"] != 0:
        cursor["x"] = 0
        cursor["y"] += 8
    panels.append({"id": next_id, "type": "row", "title": title, "collapsed": False, "panels": [],
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": cursor["y"]}})
    next_id += 1
    cursor["y"] += 1


def target(expr, legend, ref):
    return {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend,
            "range": True, "refId": ref}


def timeseries(title, description, unit, targets, w=12, h=8, stack=False, bars=False,
               overrides=None, decimals=None):
    global next_id
    custom = {"drawStyle": "bars" if bars else "line", "lineWidth": 1,
              "fillOpacity": 60 if bars else (30 if stack else 10), "showPoints": "never",
              "spanNulls": False,
              "stacking": {"group": "A", "mode": "normal" if stack else "none"}}
    defaults = {"unit": unit, "custom": custom, "min": 0}
    if decimals is not None:
        defaults["decimals"] = decimals
    panels.append({
        "id": next_id, "type": "timeseries", "title": title, "description": description,
        "datasource": DS, "gridPos": _place(w, h),
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [target(e, l, chr(ord("A") + i)) for i, (e, l) in enumerate(targets)],
    })
    next_id += 1


def bargauge(title, description, unit, expr, legend, w=8, h=8, decimals=None):
    global next_id
    defaults = {"unit": unit, "min": 0}
    if decimals is not None:
        defaults["decimals"] = decimals
    panels.append({
        "id": next_id, "type": "bargauge", "title": title, "description": description,
        "datasource": DS, "gridPos": _place(w, h),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True,
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
        "targets": [dict(target(expr, legend, "A"), instant=True, range=False)],
    })
    next_id += 1


def stat(title, description, expr, legend, w=8, h=8):
    global next_id
    panels.append({
        "id": next_id, "type": "stat", "title": title, "description": description,
        "datasource": DS, "gridPos": _place(w, h),
        "fieldConfig": {"defaults": {"unit": "none"}, "overrides": []},
        "options": {"colorMode": "none", "graphMode": "none", "textMode": "name",
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
        "targets": [dict(target(expr, legend, "A"), instant=True, range=False)],
    })
    next_id += 1


def quantiles(metric, by, qs, label_filter=FN):
    sel = f"{metric}{{{label_filter}}}" if label_filter else metric
    return [(f"histogram_quantile({q}, sum by ({by}, le) (rate({sel}[{RI}])))",
             "{{" + by.split(",")[0].strip() + "}} p" + str(int(round(q * 100))))
            for q in qs]


requests = f'sum by (function) (rate(svl_requests_total{{{FN}}}[{RI}]))'
errors = f'sum by (function) (rate(svl_requests_total{{{FN},code=~"5.."}}[{RI}]))'

row("Requests")
timeseries("Request rate", "Requests answered by the gateway per second, by function.", "reqps",
           [(requests, "{{function}}")])
timeseries("Error rate (5xx share)",
           "Share of answers with a 5xx status (gateway's own errors included), by function.",
           "percentunit", [(f"({errors} or {requests} * 0) / {requests}", "{{function}}")])
timeseries("Latency p50 / p95 / p99",
           "Time in the gateway, first byte read to last byte written (held time included).", "s",
           quantiles("svl_request_duration_seconds_bucket", "function", [0.5, 0.95, 0.99]))
timeseries("Held time p50 / p99",
           "How long held requests waited for a ready replica (cold starts, capacity limits).",
           "s", quantiles("svl_request_held_seconds_bucket", "function", [0.5, 0.99]))
timeseries("In-flight and queued requests",
           "In flight: being served by a replica. Queued: held in the gateway.", "short",
           [(f"sum by (function) (svl_inflight_requests{{{FN}}})", "{{function}} in flight"),
            (f"sum by (function) (svl_queued_requests{{{FN}}})", "{{function}} queued")])
timeseries("Rejections by reason",
           "Requests the gateway answered itself: queue full, start timeout, limits, upstream errors...",
           "reqps",
           [(f"sum by (function, reason) (rate(svl_requests_rejected_total{{{FN}}}[{RI}]))",
             "{{function}} {{reason}}")])

row("Replicas and autoscaler")
timeseries("Replicas by state", "Replicas of the selected functions, stacked by state.", "short",
           [(f"sum by (state) (svl_replicas{{{FN}}})", "{{state}}")], stack=True, decimals=0)
timeseries("Desired replicas and panic mode",
           "What the autoscaler wants; panic (right axis) is 1 while it reacts to a burst.", "short",
           [(f"sum by (function) (svl_autoscaler_desired_replicas{{{FN}}})", "{{function}} desired"),
            (f"max by (function) (svl_autoscaler_panic_mode{{{FN}}})", "{{function}} panic")],
           overrides=[{"matcher": {"id": "byRegexp", "options": ".* panic"},
                       "properties": [{"id": "custom.axisPlacement", "value": "right"},
                                      {"id": "custom.drawStyle", "value": "bars"},
                                      {"id": "max", "value": 1}]}], decimals=0)
timeseries("Scale events", "Changes of the desired replica count, by direction and reason.",
           "short",
           [(f"sum by (function, direction, reason) "
             f"(increase(svl_scale_events_total{{{FN}}}[{RI}]))",
             "{{function}} {{direction}} ({{reason}})")], w=24, bars=True)

row("Cold starts")
timeseries("Cold starts by tier", "Replicas woken for requests, by the tier they woke from.",
           "short",
           [(f"sum by (tier) (increase(svl_cold_starts_total{{{FN}}}[{RI}]))", "{{tier}}")],
           bars=True)
timeseries("Cold start duration by tier",
           "Wake decision to readiness probe passed, by tier woken from.", "s",
           quantiles("svl_cold_start_duration_seconds_bucket", "tier", [0.5, 0.95]))

row("Docker")
timeseries("Docker API calls", "Docker Engine API calls per second, by operation and outcome.",
           "reqps",
           [(f"sum by (operation, outcome) (rate(svl_docker_api_calls_total[{RI}]))",
             "{{operation}} {{outcome}}")], w=8)
timeseries("Docker API latency p50 / p99", "Latency of Docker Engine API calls, by operation.",
           "s", quantiles("svl_docker_api_call_duration_seconds_bucket", "operation", [0.5, 0.99],
                          label_filter=None), w=8)
timeseries("Docker events stream reconnects", "Times the events stream had to be reopened.",
           "short",
           [(f"sum(increase(svl_docker_events_reconnects_total[{RI}]))", "reconnects")], w=8,
           bars=True)

row("Cron triggers")
timeseries("Cron runs by result",
           "[[cron]] fire times per function and result: ok, failed, timeout, cancelled, abandoned, "
           "skipped, missed (a failed or missed run shows here first).", "short",
           [(f"sum by (function, result) (increase(svl_cron_runs_total{{{FN}}}[{RI}]))",
             "{{function}} {{result}}")], bars=True)
timeseries("Cron call lateness p50 / p99",
           "From a trigger's fire time to its call leaving for the gateway (the wake is not in it).",
           "s", [(f"histogram_quantile({q}, sum by (le) (rate(svl_cron_lateness_seconds_bucket[{RI}])))", f"p{p}")
                 for q, p in ((0.5, 50), (0.99, 99))])

row("Usage")
timeseries("Running replicas (container-seconds per second)",
           "Replica running time accrued per second: the average number of running replicas.",
           "short",
           [(f"sum by (function) (rate(svl_usage_container_seconds_total{{{FN}}}[{RI}]))",
             "{{function}}")], w=24)
bargauge("Requests in range", "Requests answered over the dashboard's time range.", "short",
         f"sum by (function) (increase(svl_requests_total{{{FN}}}[$__range]))", "{{function}}",
         decimals=0)
bargauge("Container-seconds in range", "Replica running time over the dashboard's time range.",
         "s", f"sum by (function) (increase(svl_usage_container_seconds_total{{{FN}}}[$__range]))",
         "{{function}}")
bargauge("Memory GB-seconds in range",
         "Memory limit x running time over the range: what a per-request cloud bills.", "none",
         f"sum by (function) (increase(svl_usage_memory_byte_seconds_total{{{FN}}}[$__range])) / 1e9",
         "{{function}}", decimals=2)
stat("svl version", "Version of the running svl daemon.", "count by (version) (svl_build_info)",
     "{{version}}", w=24, h=3)

dashboard = {
    "annotations": {"list": [{
        "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
        "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
        "type": "dashboard"}]},
    "description": "svl: requests, cold starts, replicas, autoscaler, Docker and usage per function.",
    "editable": True,
    "fiscalYearStartMonth": 0,
    "graphTooltip": 1,
    "links": [],
    "panels": panels,
    "refresh": "10s",
    "schemaVersion": 39,
    "tags": ["svl", "serverless"],
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [],
         "refresh": 1, "regex": "", "skipUrlSync": False},
        {"name": "function", "label": "Function", "type": "query", "datasource": DS,
         "definition": "label_values(svl_requests_total, function)",
         "query": {"qryType": 1, "query": "label_values(svl_requests_total, function)",
                   "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
         "hide": 0, "includeAll": True, "allValue": ".*", "multi": True, "options": [],
         "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1},
    ]},
    "time": {"from": "now-1h", "to": "now"},
    "timepicker": {},
    "timezone": "",
    "title": "svl",
    "uid": "svl-overview",
    "version": 1,
    "weekStart": "",
}

out = pathlib.Path(__file__).resolve().parent / "dashboards" / "svl.json"
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(f"wrote {out} ({len(panels)} panels)")
