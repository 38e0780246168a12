/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Go programs
 * under Wine 8 in tests only: Go's runtime fills its random state through
 * ProcessPrng, which Windows 10 and later export and Wine 8 does not. This
 * DLL exports ProcessPrng on top of RtlGenRandom (advapi32's
 * SystemFunction036), which Wine does implement. It is never shipped.
 *
 * x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll processprng.c
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	/* RtlGenRandom takes a ULONG length: fill larger requests in parts. */
	while (length > 0) {
		ULONG part = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, part))
			return FALSE;
		data += part;
		length -= part;
	}
	return TRUE;
}
