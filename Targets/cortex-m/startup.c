/*
 * Minimal startup for Cortex-M on the MPS2 and MPS3 boards (AN385:
 * Cortex-M3, AN386: Cortex-M4F, AN547: Cortex-M55 with MVE), for programs
 * that use newlib with semihosting (link with --specs=rdimon.specs
 * -nostartfiles and one of the linker scripts beside this file).
 *
 * Reset: the FPU is enabled in CPACR first (when the code is built for one;
 * on a Cortex-M55 the same CP10 and CP11 bits enable MVE),
 * before any floating-point instruction can run; then .data is copied from
 * its load address, .bss is cleared, newlib's semihosting handles are set up
 * and main's status goes to exit(), which newlib reports to the host through
 * semihosting (qemu-system-arm -semihosting exits with it).
 * Every fault and unexpected interrupt prints its name through semihosting
 * and stops the program with a failure.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

int main(void);
void initialise_monitor_handles(void);
void Reset_Handler(void);
void start_c(void) __attribute__((noreturn, used));

/* A semihosting call: operation in r0, parameter in r1, result in r0. */
static int semihost(int operation, const void *parameter)
{
    register int r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = parameter;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void __attribute__((noreturn)) stop(const char *message)
{
    semihost(0x04, message);                 /* SYS_WRITE0 */
    for (;;) {
        semihost(0x18, (const void *)0x20023); /* SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown */
    }
}

#define HANDLER(name, text) \
    static void name(void) { stop("startup: " text "\n"); }
HANDLER(nmi_handler, "NMI")
HANDLER(hard_fault_handler, "HardFault")
HANDLER(mem_manage_handler, "MemManage fault")
HANDLER(bus_fault_handler, "BusFault")
HANDLER(usage_fault_handler, "UsageFault")
HANDLER(unexpected_handler, "unexpected exception or interrupt")

/* The vector table: the initial stack pointer (top of SRAM), then the handlers. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
    (void (*)(void))_estack,
    Reset_Handler,
    nmi_handler,
    hard_fault_handler,
    mem_manage_handler,
    bus_fault_handler,
    usage_fault_handler,
    [7 ... 16 + 32 - 1] = unexpected_handler,
};

/* Reset: FPU on (CP10 and CP11 full access) before anything compiled runs. */
__attribute__((naked)) void Reset_Handler(void)
{
    __asm__ volatile(
#if defined(__ARM_FP)
        "ldr r0, =0xE000ED88\n"   /* CPACR */
        "ldr r1, [r0]\n"
        "orr r1, r1, #0x00F00000\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
#endif
        "b start_c\n");
}

void start_c(void)
{
    uint32_t *source = _sidata, *target = _sdata;
    while (target < _edata) {
        *target++ = *source++;
    }
    for (target = _sbss; target < _ebss; ++target) {
        *target = 0;
    }
    initialise_monitor_handles();
    exit(main());
}

/* Nothing to run before main: the programs built here have no constructors. */
void _init(void) {}
void _fini(void) {}
