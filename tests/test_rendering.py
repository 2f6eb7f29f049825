"""Rendering degrades, never breaks imports. A machine without an off-screen OpenGL library is simulated in child
processes by a `sitecustomize` that makes the dynamic loader fail for OSMesa and EGL, the way it fails when Debian's
`libosmesa6` is not installed; `MUJOCO_GL=osmesa` is set as an unlucky user would."""

import os, subprocess, sys, textwrap

import pytest

HIDE_GL = textwrap.dedent("""
    import ctypes, ctypes.util
    _hidden = ("OSMesa", "EGL")
    _find, _init = ctypes.util.find_library, ctypes.CDLL.__init__
    def find_library(name): return None if any(h in name for h in _hidden) else _find(name)
    def cdll_init(self, name, *args, **kwargs):
        if name and any(h in str(name) for h in _hidden): raise OSError(f"{name}: cannot open shared object file")
        _init(self, name, *args, **kwargs)
    ctypes.util.find_library, ctypes.CDLL.__init__ = find_library, cdll_init
""")


@pytest.fixture
def no_gl_env(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(HIDE_GL)
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path, "MUJOCO_GL": "osmesa", "PYOPENGL_PLATFORM": "osmesa"}


def python(code, env):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_simulation_reproduces_the_failure(no_gl_env):
    "Without meta_rl, MUJOCO_GL=osmesa and no OSMesa break `import mujoco` itself: the bug this file guards against."
    r = python("import mujoco", no_gl_env)
    assert r.returncode != 0 and "glGetError" in r.stderr, r.stderr[-2000:]


def test_import_works_and_rendering_names_the_package(no_gl_env):
    r = python(
        """
        import subprocess, sys
        import meta_rl.striker as s, meta_rl.metaworld, meta_rl.sweeps      # each imports MuJoCo
        child = subprocess.run([sys.executable, "-c", "import mujoco"], capture_output=True, text=True)
        assert child.returncode == 0, child.stderr                          # nothing exported breaks a child process
        env = s.StrikerEnv(render_mode="rgb_array")
        env.reset(seed=0); env.step(env.action_space.sample())              # everything but rendering works
        try: env.render()
        except s.RenderingUnavailable as e: print("ERROR:", e)
    """,
        no_gl_env,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    error = r.stdout.split("ERROR: ", 1)[1].strip()
    assert "\n" not in error and "apt-get install libosmesa6" in error, error
    assert "MUJOCO_GL=osmesa needs OSMesa" in r.stderr and "apt-get install libosmesa6" in r.stderr


def test_commands_start_without_gl(no_gl_env):
    r = subprocess.run(["metarl-striker", "--help"], env=no_gl_env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "usage:" in r.stdout, r.stderr[-2000:]


def test_render_where_an_offscreen_gl_exists():
    from meta_rl.striker import RenderingUnavailable, StrikerEnv

    env = StrikerEnv(render_mode="rgb_array", width=160, height=120)
    env.reset(seed=0)
    try:
        frame = env.render()
    except RenderingUnavailable as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no off-screen OpenGL here (bash tools/install-system-packages.sh installs OSMesa): {e}")
    finally:
        env.close()
    assert frame.shape == (120, 160, 3) and frame.std() > 10
