#!/usr/bin/env bash
# Runs every `simper bench` configuration in its own process and writes bench/RESULTS.md.
# Usage: bench/run.sh [--steps N] [--warmup N] [--threads N] [--rounds N]   (defaults: 3 timed steps, 1 warm-up, 2 threads, 3 rounds)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/src/Simper.Cli" -c Release -v quiet -nologo
dotnet run --project "$root/bench/Runner" -c Release -- \
  --cli "$root/src/Simper.Cli/bin/Release/net10.0/Simper.Cli.dll" --output "$root/bench/RESULTS.md" "$@"
