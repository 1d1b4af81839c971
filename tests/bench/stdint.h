/* SPDX-License-Identifier: GPL-2.0 */
/* The fixed-width types for tcc in the compile row (tcc has no stdint.h). */
#ifndef VB_STDINT_H
#define VB_STDINT_H
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long int64_t;
typedef unsigned long uint64_t;
typedef long intptr_t;
typedef unsigned long uintptr_t;
#define UINT32_MAX 0xffffffffU
#define UINT64_MAX 0xffffffffffffffffUL
#endif
