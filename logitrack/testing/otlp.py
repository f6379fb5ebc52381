"""A local OTLP/HTTP trace receiver (POST /v1/traces, binary protobuf), so tests and benchmarks need no collector:
it decodes what is on the wire with opentelemetry-proto and keeps every span with its process's role, or (`keep`
False, a benchmark's) parses and counts them only."""

from __future__ import annotations

import gzip
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from logitrack.testing.http import Answer, LocalServer, Received


class OtlpReceiver(LocalServer):
    def __init__(self, *, keep: bool = True) -> None:
        self.spans: list[dict[str, Any]] = []
        self.paths: set[str] = set()
        self.received_spans = 0  # spans, kept or not
        self.keep = keep
        super().__init__(self._export, keep_alive=True)  # the exporter's session keeps its connection

    def _export(self, seen: Received) -> Answer:
        body = gzip.decompress(seen.body) if seen.headers.get("Content-Encoding") == "gzip" else seen.body
        self.paths.add(seen.path)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)  # fails the export (and a test) on anything but OTLP protobuf
        self.take(request)
        self.received.clear()  # the spans are what is kept, not the requests' bytes (a benchmark sends many)
        answer = ExportTraceServiceResponse().SerializeToString()
        return Answer(200, answer, headers={"Content-Type": "application/x-protobuf"})

    @property
    def url(self) -> str:
        return self.base_url

    def take(self, request: ExportTraceServiceRequest) -> None:
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                self.received_spans += len(scope_spans.spans)
                if not self.keep:
                    continue
                for span in scope_spans.spans:
                    self.spans.append(
                        {
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "name": span.name,
                            "process": resource["logitrack.process"],
                            "service": resource["service.name"],
                            "attributes": {a.key: a.value.string_value for a in span.attributes},
                            "links": [(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                        }
                    )

    def in_trace(self, trace_id: str) -> list[dict[str, Any]]:
        return [s for s in list(self.spans) if s["trace_id"] == trace_id]
