/* Whether text is one well-formed JSON value (RFC 8259's grammar), for tests that check what
 * kernel32_mem writes; the Windows tests have no JSON library to lean on. */
#ifndef KM_JSON_CHECK_H
#define KM_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

bool km_json_is_well_formed(const char *text, size_t length);

#endif
