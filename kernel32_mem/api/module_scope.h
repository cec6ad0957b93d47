/*
 * Which modules of the process kernel32_mem serves beyond those that import it (module_scope.c
 * explains the policy).
 */
#ifndef KM_API_MODULE_SCOPE_H
#define KM_API_MODULE_SCOPE_H

/* Redirects other modules' imports to this DLL (self) as the policy says, now and for modules
 * loaded later. */
void km_module_scope_start(void *self);

#endif
