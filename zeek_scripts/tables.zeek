##! The package's tables (``*.dat`` beside the scripts, or an operator's file
##! an option points at) are read with the Input framework, all the same way:
##! each script calls :zeek:see:`FallbackChannels::read_table` once in
##! ``zeek_init``. A table is re-read when its file changes, and packet
##! processing waits until every table has been read once, so ``zeek -r``
##! applies them from the first packet (Zeek prints ``processing suspended``
##! and ``processing continued``; they are no errors).

@load base/frameworks/input

module FallbackChannels;

export {
	## Read the file ``$source`` of *desc* into its ``$destination`` with the
	## Input framework (this sets ``$mode`` to ``REREAD``: edits are picked
	## up live) and hold packet processing until the first read ended. A
	## missing file leaves the table empty, with a warning naming *what*
	## ("dynamic DNS list") unless the table is *optional* (an operator's
	## file, none shipped).
	global read_table: function(what: string, desc: Input::TableDescription,
	    optional: bool &default=F);
}

# Names of the streams whose first read has not ended; packet processing is
# suspended while there are any. (One entry per table of the package, never
# anything from traffic.)
global first_reads: set[string] = set();

function read_table(what: string, desc: Input::TableDescription, optional: bool)
	{
	if ( file_size(desc$source) < 0.0 )
		{
		if ( ! optional )
			Reporter::warning(fmt("FallbackChannels: %s %s not found", what,
			    desc$source));
		return;
		}
	if ( |first_reads| == 0 )
		suspend_processing();
	add first_reads[desc$name];
	desc$mode = Input::REREAD;
	Input::add_table(desc);
	}

event Input::end_of_data(name: string, source: string)
	{
	if ( name !in first_reads )
		return;
	delete first_reads[name];
	if ( |first_reads| == 0 )
		continue_processing();
	}
