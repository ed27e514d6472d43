#!/usr/bin/env bash
# Batch-1 prefill / scoring / decode, Engine vs llama.cpp on the same f32 weights (bench/results/cpu-prefill.md).
# Usage: bench/prefill/llama-vs-engine.sh MODEL_DIR   (a qwen2 checkpoint folder; about 5 minutes on a quiet 2-core machine)
# Needs llama.cpp's prebuilt CPU library: LLAMA_CPP_LIB=<folder with libllama*.so>, or it is fetched with npm into /tmp.
set -euo pipefail
model=${1:?usage: $0 MODEL_DIR}
cd "$(dirname "$0")/../.."
if [ -z "${LLAMA_CPP_LIB:-}" ]; then
  mkdir -p /tmp/llama-cpp && (cd /tmp/llama-cpp && [ -d package ] || { npm pack @node-llama-cpp/linux-x64@3.22.1 >/dev/null && tar xzf node-llama-cpp-linux-x64-3.22.1.tgz; })
  export LLAMA_CPP_LIB=/tmp/llama-cpp/package/bins/linux-x64
fi
dotnet build bench/Engine.Bench -c Release -v q >/dev/null
dotnet build src/Hosts/Engine.Cli -c Release -v q >/dev/null
lscpu | grep -E '^(Model name|CPU family|Model|CPU\(s\)|Flags)'
uptime
for t in 2 1; do
  dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll llama-vs-engine --model "$model" --threads $t --reps 5 --tokens 128
  uptime
done
dotnet src/Hosts/Engine.Cli/bin/Release/net10.0/engine.dll bench decode --model "$model" --threads 2 --tokens 128
uptime
