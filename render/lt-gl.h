/* render/lt-gl.h — small GL helpers of render/: compile and link a program with its log in an
 * lt_error, check the current context is GL 3.3 core or newer. Needs a current context. */
#ifndef LT_GL_H
#define LT_GL_H

#include <epoxy/gl.h>

#include "lt-error.h"

/* 0 when the current context is desktop GL >= 3.3, else -1 with a message. */
int lt_gl_check_version(lt_error *err);
/* A linked program, or 0 with the compiler's or linker's log in err. */
GLuint lt_gl_program(const char *vs, const char *fs, const char *what, lt_error *err);

#endif
