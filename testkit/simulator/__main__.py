"""Run the simulator on its own: `python -m testkit.simulator [--embeddings] [--latency-ms N] [--stream-deltas N]
[--delta-gap-ms N] [--dialect D] [--usage-dialect D] [--prompt-cache]` (dialects: testkit/simulator/behaviour.py).

Prints the base URL and the API key it accepts, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import threading

from testkit.simulator.server import Simulator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embeddings", action="store_true", help="serve /v1/embeddings")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay per embeddings request")
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--stream-deltas", type=int, default=0, help="every streamed answer: N one-word deltas")
    parser.add_argument("--delta-gap-ms", type=float, default=0.0, help="pause between streamed deltas")
    parser.add_argument("--dialect", default="reasoning_content", help="how reasoning is sent (behaviour.py)")
    parser.add_argument("--usage-dialect", default="openai", help="how cached tokens are reported (behaviour.py)")
    parser.add_argument("--prompt-cache", action="store_true", help="report a repeated system prompt as cached")
    options = parser.parse_args()
    simulator = Simulator().start()
    simulator.state.embeddings_enabled = options.embeddings
    simulator.state.embedding.latency_s = options.latency_ms / 1000
    simulator.state.embedding.dims = options.dims
    simulator.state.embedding.shuffle = False
    simulator.state.stream_deltas = options.stream_deltas
    simulator.state.delta_gap_s = options.delta_gap_ms / 1000
    simulator.state.variants.reply_dialect = options.dialect
    simulator.state.variants.usage_dialect = options.usage_dialect
    simulator.state.variants.prompt_cache = options.prompt_cache
    print(f"{simulator.base_url} {simulator.state.api_key}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
