"""Post-generation hook: one tree per hub, age keys, encrypted sample secrets, a first commit.

Values are read as data (JSON). Any failure exits 1 with one line; cookiecutter then deletes the
half-generated repository, so a failed run leaves nothing behind.
"""

import json
import os
import sys
from pathlib import Path

CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')

sys.path.insert(0, str(Path(CONTEXT["_repo_dir"]) / "hooks"))

from hubgen import (  # noqa: E402
    GenerationError, border_crossings, commit_all, encrypt_samples, enrich_hubs, hubguard_install, hubguard_version, make_age_keys,
    render_tree, stamp_install, write_record,
)
from hubinputs import DEFAULT_ADDRESS_SPACE, InputError, hub_networks, validate_context  # noqa: E402

BANNER = "!" * 78
# Set by `hubguard update`: render the files only (recorded age recipients, no new keys, no
# encrypted samples, no commit, no messages), to compare two template versions.
RENDER_ONLY = os.environ.get("HUBGUARD_RENDER_ONLY") == "1"
# The hubguard version of the default install spec; `hubguard update` renders an older template
# with the version that template was generated with.
VERSION = (os.environ.get("HUBGUARD_TEMPLATE_VERSION") if RENDER_ONLY else None) or hubguard_version()


def main() -> int:
    repo = Path.cwd()
    try:
        given = validate_context(CONTEXT)
        hubs = enrich_hubs(given)
        sops = CONTEXT["secrets_backend"] == "sops-age"
        keys = make_age_keys(repo, hubs) if sops and not RENDER_ONLY else []
        # The install spec is an answer: recorded resolved, so that `hubguard update` renders it again.
        CONTEXT["hubguard_install"] = CONTEXT.get("hubguard_install") or (
            f"hubguard=={VERSION}" if RENDER_ONLY else hubguard_install(VERSION))
        render_tree(repo, CONTEXT, hubs)
        stamp_install(repo, CONTEXT["hubguard_install"])
        # Each hub's address block is recorded: a later `hubguard hub add/remove` keeps it.
        blocks = hub_networks(given, CONTEXT.get("cluster_address_space") or DEFAULT_ADDRESS_SPACE)
        write_record(repo, CONTEXT, [{**g, "age_recipient": h["age_recipient"], "address_block": blocks[g["name"]]["block"]}
                                     for g, h in zip(given, hubs)], Path(CONTEXT["_repo_dir"]), VERSION)
        if RENDER_ONLY:
            return 0
        if sops:
            encrypt_samples(repo, hubs)
        commit_all(repo, CONTEXT["git_branch"], f"Initial multi-hub GitOps repository for {CONTEXT['project_name']} (hubguard new)")
    except (InputError, GenerationError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # any other failure: one line, and cookiecutter removes the folder
        detail = " ".join(str(exc).split())[:400]  # one line, whatever the exception's text holds
        print(f"ERROR: generation failed: {type(exc).__name__}: {detail}", file=sys.stderr)
        return 1
    names = ", ".join(h["name"] for h in hubs)
    if keys:
        print(BANNER)
        print("!! PRIVATE age keys were written (mode 0600) and are NOT committed (.gitignore):")
        for key in keys:
            print(f"!!   {repo.name}/{key}")
        print("!! Store them in your password manager or HSM now; each hub needs its own key as")
        print("!! the flux-system/sops-age Secret. Whoever holds a key can read that hub's secrets.")
        print(BANNER)
    for line in border_crossings(hubs):
        print(f"NOTE: {line} (README, 'Where personal data may go').")
    print(f"Generated {repo.name} for hubs {names} ({CONTEXT['gitops_engine']}, {CONTEXT['secrets_backend']}).")
    print("Next steps:")
    print(f"  cd {repo.name} && hubguard validate")
    print(f"  git remote add origin {CONTEXT['git_url']} && git push -u origin {CONTEXT['git_branch']}")
    print("  Bootstrap each hub as README.md describes (section 'Bootstrapping a hub').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
