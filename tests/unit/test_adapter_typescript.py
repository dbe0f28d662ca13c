"""The generated TypeScript client type-checks under `tsc --strict`, and its types mean something:
code that misuses them is rejected."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.domain.adapters import naming, typescript_client
from tests.unit.test_adapter_python import ENDPOINTS

TSC = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "tsc"
needs_tsc = pytest.mark.skipif(not TSC.exists(), reason="node_modules/.bin/tsc is absent: run `npm ci`")


def check(directory: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TSC), "--noEmit", "--strict", *files], cwd=directory, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "client.ts").write_text(typescript_client.generate(ENDPOINTS, "Pet store"))
    return tmp_path


@needs_tsc
def test_generated_client_type_checks(project: Path) -> None:
    result = check(project, "client.ts")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_tsc
def test_typed_usage_compiles_and_misuse_does_not(project: Path) -> None:
    (project / "use.ts").write_text(
        """import { Client, Pet } from "./client";
const api = new Client("http://127.0.0.1:1", { headers: { Authorization: "Bearer x" } });
export function names(): Promise<string[]> {
  return api.listPets({ limit: 5, kind: "cat" }).then((pets: Array<Pet>) => pets.map((p) => p.name));
}
export function ages(pet: Pet): string | undefined { return pet["born-at"]; }
export const removed = api.deletePetsByIdToysByToyId("a", "b");
export const one = api.class_("6f1c53b2-8d4e-4c55-9a55-2d3f0f6b1a10");
"""
    )
    ok = check(project, "use.ts")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (project / "misuse.ts").write_text(
        """import { Client, Pet } from "./client";
const api = new Client("http://127.0.0.1:1");
export const wrongKind = api.listPets({ kind: "hamster" });
export function idIsText(pet: Pet): number { return pet.id; }
"""
    )
    bad = check(project, "misuse.ts")
    assert bad.returncode != 0
    assert '"hamster"' in bad.stdout
    assert "Type 'string' is not assignable to type 'number'" in bad.stdout


def test_interfaces_and_method_names() -> None:
    source = typescript_client.generate(ENDPOINTS, "Pet store")
    assert 'kind: "cat" | "dog" | "other";' in source
    assert '"born-at"?: string;' in source
    assert '"2nd_owner"?: string | null;' in source
    assert "weight?: number | null;" in source
    assert "extra?: Record<string, number>;" in source
    assert "parent?: Pet;" in source
    assert "owner?: PetOwner;" in source
    for method in ("listPets(", "createPet(", "class_(", "deletePetsByIdToysByToyId(", "getPets2faStatus("):
        assert f"  {method}" in source
    assert "queryPets" not in source  # GraphQL operations are left out of a REST client


@pytest.mark.parametrize(
    ("text", "expected"),
    [("user-id", "userId"), ("class", "class_"), ("2fa", "n2fa"), ("", "value"), ("delete", "delete_")],
)
def test_typescript_names(text: str, expected: str) -> None:
    assert naming.ts_name(text) == expected
    assert naming.is_ts_identifier(naming.ts_name(text))
