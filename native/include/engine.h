/* engine.h — C ABI for embedding the engine from C/C++.
 *
 * Implemented by src/Hosts/Engine.Native, published with .NET NativeAOT as a self-contained shared library
 * (libengine.so / engine.dll / libengine.dylib) that needs no .NET install:
 *     dotnet publish src/Hosts/Engine.Native -c Release -r linux-x64      (needs clang or gcc and the ILCompiler package)
 * Link with -lengine (or dlopen it). Thread-safety: calls on different models may run concurrently; calls on one
 * model are serialised by the library. Strings are UTF-8. Nothing returned here is freed by the caller except
 * models, through engine_free.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct engine_model engine_model;

/* The engine's version, e.g. "0.1.0"; a static string. */
const char* engine_version(void);

/* The message of the last failed call on this thread, or "" if none; valid until the next failing call on this thread. */
const char* engine_last_error(void);

/* Load a Hugging Face model folder (config.json, *.safetensors, tokenizer.json) on "cpu", "cuda" or "cuda:N"
 * (NULL = "cpu"). Returns NULL on failure (see engine_last_error). */
engine_model* engine_load_model(const char* path, const char* device);

/* Sum of log p(token_i | tokens before i) over the tokenized text (its first token is not scored) and the number
 * of tokens scored. Returns 0 on success, -1 on failure. */
int engine_score(engine_model* model, const char* text, double* logprob_sum, int32_t* scored_tokens);

/* Greedy completion of `prompt` (at most max_tokens new tokens, stopping at the model's end-of-sequence tokens).
 * Writes at most out_capacity-1 bytes of UTF-8 text and a terminating NUL to `out` (out may be NULL when
 * out_capacity is 0). Returns the full completion's length in bytes (excluding the NUL; larger than
 * out_capacity-1 means it was truncated: call again with a larger buffer), or -1 on failure. */
int64_t engine_generate(engine_model* model, const char* prompt, int32_t max_tokens, char* out, int64_t out_capacity);

/* Release a model (NULL is allowed). */
void engine_free(engine_model* model);

#ifdef __cplusplus
}
#endif

#endif /* ENGINE_H */
