"""`coach serve` (the chat app in the browser) and `coach demo` (a demo patient to log in as)."""

from __future__ import annotations

import os
import secrets
import sys

import typer

from coach.cli import _fail, _settings, app, out
from coach.settings import PROJECT_ROOT

APP_MODULE = PROJECT_ROOT / "coach" / "ui" / "app.py"


@app.command()
def demo(if_missing: bool = typer.Option(False, "--if-missing", help="Leave an existing demo patient as it is")
         ) -> None:
    """Create (or reset to a fresh two weeks) the demo patient: login `demo`, a profile and readings."""
    from coach.accounts import AccountStore
    from coach.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo
    from coach.profile.store import ProfileStore, StoreUnavailable

    settings = _settings()
    try:
        if if_missing and AccountStore(settings.database).exists(DEMO_USERNAME):
            out.print(f"Demo patient ready: log in as [bold]{DEMO_USERNAME}[/] with password "
                      f"[bold]{DEMO_PASSWORD}[/]", highlight=False)
            return
        action = seed_demo(ProfileStore(settings.database), AccountStore(settings.database))
    except StoreUnavailable as exc:
        _fail(str(exc))
    out.print(f"Demo patient {action}: log in as [bold]{DEMO_USERNAME}[/] with password [bold]{DEMO_PASSWORD}[/]",
              highlight=False)


def auth_secret(data_dir) -> str:
    """The secret that signs login tokens: CHAINLIT_AUTH_SECRET if set, else one kept in the data folder
    (made on first start), so logins survive a restart without anyone editing a file."""
    if os.environ.get("CHAINLIT_AUTH_SECRET"):
        return os.environ["CHAINLIT_AUTH_SECRET"]
    path = data_dir / "chainlit-auth-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on"),
          port: int = typer.Option(8000, help="Port to listen on"),
          watch: bool = typer.Option(False, "--watch", help="Reload when the code changes (development)")) -> None:
    """Serve the patient chat app (Chainlit) in the browser at http://HOST:PORT."""
    settings = _settings()
    env = dict(os.environ, CHAINLIT_AUTH_SECRET=auth_secret(settings.data_dir), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    args = [sys.executable, "-m", "chainlit", "run", str(APP_MODULE), "--headless", "--host", host,
            "--port", str(port)]
    if watch:
        args.append("--watch")
    out.print(f"Serving the coach at http://{host}:{port} (Ctrl+C to stop)", highlight=False)
    os.chdir(PROJECT_ROOT)  # Chainlit reads .chainlit/config.toml and chainlit.md from its working folder
    os.execvpe(args[0], args, env)
