# Versions of the real engines and their helpers. One place, read by ollama.sh (and by whoever
# starts engine processes). Changing any of these makes ollama.sh build into a new cache folder;
# old folders under the cache can be deleted.
OLLAMA_VERSION=v0.17.4        # github.com/ollama/ollama, built with cgo (bundled llama.cpp/ggml, CPU)
MINIAUDIO_PY_VERSION=1.71     # PyPI sdist that carries miniaudio.h, which Ollama's module zip lacks
GGUF_PY_VERSION=0.19.0        # PyPI gguf: writes the tiny test models
REGISTRY_VERSION=v3.0.0       # github.com/distribution/distribution/v3: local OCI registry for pulls

MH_CACHE=${MODEL_HOSTING_CACHE:-$HOME/.cache/model-hosting}
MH_OLLAMA_DIR=$MH_CACHE/ollama-$OLLAMA_VERSION             # bin/ollama, include/miniaudio/miniaudio.h
MH_OLLAMA_BIN=$MH_OLLAMA_DIR/bin/ollama
MH_REGISTRY_BIN=$MH_CACHE/registry-$REGISTRY_VERSION/bin/registry
MH_GGUF_VENV=$MH_CACHE/py-gguf-$GGUF_PY_VERSION             # python venv with gguf
MH_OLLAMA_HOME=$MH_CACHE/ollama-home                        # HOME for the Ollama processes started here
