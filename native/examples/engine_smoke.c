/* Smoke test of the C ABI: load a model, score a text, generate a completion.
 *   dotnet publish src/Hosts/Engine.Native -c Release -r linux-x64 -o build/native-lib
 *   gcc -std=c99 -Wall -Werror -Inative/include native/examples/engine_smoke.c -Lbuild/native-lib -lengine -Wl,-rpath,'$ORIGIN' -o build/native-lib/engine_smoke
 *   build/native-lib/engine_smoke <model-folder> [cpu|cuda]
 */
#include <stdio.h>
#include <stdlib.h>
#include "engine.h"

int main(int argc, char** argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s <model-folder> [device]\n", argv[0]); return 2; }
    printf("engine %s\n", engine_version());

    engine_model* bad = engine_load_model("/nonexistent/model", "cpu");
    if (bad != NULL) { fprintf(stderr, "loading a missing folder succeeded\n"); return 1; }
    printf("expected error: %s\n", engine_last_error());

    engine_model* m = engine_load_model(argv[1], argc > 2 ? argv[2] : "cpu");
    if (!m) { fprintf(stderr, "load failed: %s\n", engine_last_error()); return 1; }

    double lp = 0; int32_t n = 0;
    if (engine_score(m, "Calculate. 12 + 46 = 58", &lp, &n) != 0) { fprintf(stderr, "score failed: %s\n", engine_last_error()); return 1; }
    printf("score: %d tokens, log-prob sum %.6f\n", n, lp);

    const char* prompt = "<|im_start|>user\nCalculate. 3 + 4<|im_end|>\n<|im_start|>assistant\n";
    int64_t need = engine_generate(m, prompt, 16, NULL, 0);            /* ask for the length first */
    if (need < 0) { fprintf(stderr, "generate failed: %s\n", engine_last_error()); return 1; }
    char* out = malloc((size_t)need + 1);
    if (engine_generate(m, prompt, 16, out, need + 1) != need) { fprintf(stderr, "second generate differs\n"); return 1; }
    printf("generate (%lld bytes): %s\n", (long long)need, out);
    free(out);
    engine_free(m);
    return 0;
}
