#!/usr/bin/env bash
# The one test command (README quick start and CI): installs the emulators the tests start, then runs every test.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
dotnet test SgBridge.sln "$@"
