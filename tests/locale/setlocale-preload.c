/* tests/locale/setlocale-preload.c — LD_PRELOAD'ed into lungtrust-cli by test-cli-locale.py: takes
 * the process locale from the environment before main, as the workstation's main does with
 * setlocale(LC_ALL, "") and as any library loaded at start could. The CLI itself never asks for
 * the user's locale, so without this a comma locale in the environment would not reach it. */
#include <locale.h>

__attribute__((constructor)) static void lt_take_locale_from_environment(void) {
  setlocale(LC_ALL, "");
}
