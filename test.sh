#!/usr/bin/env bash
# The one test command (README quick start and CI): installs the emulators the tests start, runs every test, then
# the benchmark's smoke run (the real pipeline on Azurite and a stub EC2/STS: every event stored, one EC2 write each,
# nothing poisoned; it checks no speed).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
dotnet test SgBridge.sln "$@"
dotnet run --project bench -- --smoke --ec2 stub
