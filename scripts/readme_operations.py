"""Rewrites README.md's operation table from the registry
(`tessera ops --markdown`); tests/python/test_registry.py checks that it
matches. Run after adding an operation: .venv/bin/python scripts/readme_operations.py"""
import subprocess
from pathlib import Path

root = Path(__file__).resolve().parents[1]
readme = root / "README.md"
text = readme.read_text()
start = text.index("<!-- operations:")
end = text.index("<!-- end of operations -->", start)
head = [line for line in text[start:end].splitlines() if not line.startswith("| `")]
rows = subprocess.run([str(root / ".venv" / "bin" / "tessera"), "ops", "--markdown"], check=True,
                      capture_output=True, text=True).stdout.splitlines()
readme.write_text(text[:start] + "\n".join(head + rows) + "\n" + text[end:])
